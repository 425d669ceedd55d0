"""The worker's HTTP views: health, Prometheus metrics, and why an invoice got its decision.

Explanations are kept for the invoices this worker decided on since its last rebalance (the
decision record itself: action, channel, policy scores, reasons, blocked actions). Another
worker's invoices answer 404 with a hint to ask the worker that owns the customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faust.web import Request, Response, View

from schemas.codec import loads

if TYPE_CHECKING:
    from streams.runtime import Runtime


def register(runtime: Runtime) -> None:
    """Add ``/health``, ``/metrics`` and ``/explain/{invoice_id}`` to the worker's web server."""
    app = runtime.app

    class Health(View):
        async def get(self, request: Request) -> Response:
            ok = runtime.app.consumer is not None and not runtime.app.rebalancing
            body = {
                "status": "ok" if ok else "rebalancing",
                "clock": runtime.settings.clock,
                "partitions": runtime.owned_partitions(),
                "model_version": runtime.models.version,
            }
            return self.json(body, status=200 if ok else 503)

    class Metrics(View):
        async def get(self, request: Request) -> Response:
            text = runtime.metrics.render(runtime.decider.stats, runtime.lag())
            return self.text(text, content_type="text/plain; version=0.0.4")

    class Explain(View):
        async def get(self, request: Request, invoice_id: str) -> Response:
            raw = runtime.explanations.get(invoice_id)
            if raw is None:
                reason = "no decision for this invoice on this worker since its last rebalance"
                return self.json({"invoice_id": invoice_id, "error": reason}, status=404)
            decision: dict[str, Any] = loads(raw)
            return self.json(decision)

    app.page("/health/")(Health)
    app.page("/metrics/")(Metrics)
    app.page("/explain/{invoice_id}/")(Explain)
