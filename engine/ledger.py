"""Money on the ledger: allocating payments, netting credits, undoing reversals.

Rules a credit manager expects: a payment goes first to the invoice its reference or invoice id
names, then to the oldest open invoices in the same currency; what is left is the customer's
credit and is netted against the next invoice before anyone is reminded. A reversal undoes
exactly the allocations of that payment and re-opens what it had paid.
"""

from __future__ import annotations

from datetime import datetime

from engine.state import CustomerState, InvoiceState, InvoiceStatus, PaymentRecord


def unpaid_status(invoice: InvoiceState) -> InvoiceStatus:
    """The dunning status an unpaid invoice is in, derived from its history."""
    if invoice.escalations:
        return InvoiceStatus.ESCALATED
    if invoice.in_review:
        return InvoiceStatus.IN_REVIEW
    if invoice.step:
        return InvoiceStatus.IN_DUNNING
    if invoice.points:
        return InvoiceStatus.OVERDUE
    return InvoiceStatus.OPEN


def refresh_status(invoice: InvoiceState, at: datetime) -> None:
    """Close an invoice that is fully paid, re-open one a reversal left owing."""
    if invoice.status is InvoiceStatus.CANCELLED:
        return
    if invoice.outstanding_minor <= 0:
        if invoice.status is not InvoiceStatus.PAID:
            invoice.status = InvoiceStatus.PAID
            invoice.closed_at = at
            invoice.next_at = None
    elif invoice.status is InvoiceStatus.PAID:
        invoice.status = unpaid_status(invoice)
        invoice.closed_at = None


def _allocate_to(payment: PaymentRecord, invoice: InvoiceState, at: datetime) -> None:
    amount = min(payment.unallocated_minor, max(invoice.outstanding_minor, 0))
    if amount <= 0 or invoice.closed or invoice.currency != payment.currency:
        return
    payment.allocations[invoice.invoice_id] = (
        payment.allocations.get(invoice.invoice_id, 0) + amount
    )
    invoice.paid_minor += amount
    refresh_status(invoice, at)


def allocate(
    customer: CustomerState, payment: PaymentRecord, target: InvoiceState | None, at: datetime
) -> None:
    """Allocate ``payment`` to ``target`` first, then oldest open invoices; keep the rest."""
    if target is not None:
        _allocate_to(payment, target, at)
    if payment.unallocated_minor <= 0:
        return
    for invoice in customer.open_invoices():
        if payment.unallocated_minor <= 0:
            break
        _allocate_to(payment, invoice, at)


def apply_credit(customer: CustomerState, invoice: InvoiceState, at: datetime) -> None:
    """Net the customer's unallocated money (oldest payment first) against ``invoice``."""
    credit = [p for p in customer.payments.values() if p.unallocated_minor > 0]
    for payment in sorted(credit, key=lambda p: (p.received_at, p.payment_id)):
        if invoice.closed:
            return
        _allocate_to(payment, invoice, at)


def release(customer: CustomerState, invoice: InvoiceState, at: datetime) -> None:
    """Take back every allocation to ``invoice`` (it was cancelled) and re-allocate it."""
    freed = []
    for payment in customer.payments.values():
        amount = payment.allocations.pop(invoice.invoice_id, 0)
        if amount:
            invoice.paid_minor -= amount
            freed.append(payment)
    for payment in sorted(freed, key=lambda p: (p.received_at, p.payment_id)):
        allocate(customer, payment, None, at)


def free_excess(customer: CustomerState, invoice: InvoiceState, at: datetime) -> None:
    """Give back money ``invoice`` no longer needs (a credit note after it was paid), newest
    payment first, and re-allocate it: it is the customer's credit, not the invoice's."""
    excess = min(-invoice.outstanding_minor, invoice.paid_minor)
    freed = []
    by_age = sorted(customer.payments.values(), key=lambda p: (p.received_at, p.payment_id))
    for payment in reversed(by_age):
        if excess <= 0:
            break
        amount = min(payment.allocations.get(invoice.invoice_id, 0), excess)
        if amount:
            payment.allocations[invoice.invoice_id] -= amount
            if not payment.allocations[invoice.invoice_id]:
                del payment.allocations[invoice.invoice_id]
            invoice.paid_minor -= amount
            excess -= amount
            freed.append(payment)
    for payment in reversed(freed):
        allocate(customer, payment, None, at)


def reverse(customer: CustomerState, payment: PaymentRecord, at: datetime) -> None:
    """Undo a payment: every invoice it paid owes that money again, less any credit the
    customer holds from other payments."""
    for invoice_id, amount in payment.allocations.items():
        invoice = customer.invoices.get(invoice_id)
        if invoice is not None:
            invoice.paid_minor -= amount
            refresh_status(invoice, at)
    payment.allocations = {}
    payment.reversed = True
    for invoice in customer.open_invoices():
        apply_credit(customer, invoice, at)


def customer_credit(customer: CustomerState, currency: str) -> int:
    """Unallocated money the customer has in ``currency``."""
    return sum(p.unallocated_minor for p in customer.payments.values() if p.currency == currency)
