"""The kinds of customer the world is made of, and how each pays and reacts.

Shares of customers and their behaviour per invoice, without any action (sources in brackets;
"calibrated" means set so that the default world under the ladder reproduces DOMAIN's aggregate
figures, see ``tests/sim/test_calibration.py``):

=============  ======  ====  =============================================================
kind           share   churn behaviour
=============  ======  ====  =============================================================
direct_debit   0.20    0.5%  paid by autogiro on the due date; 1% of collections fail and the
                             invoice goes like a forgetful one [DOMAIN: direct-debit payers
                             need reminders ~1% of the time and churn half as much]
punctual       0.4435  0.8%  pay 0-12 days before due; 4% slip 1-25 days late; 85% pay within
                             two days of reading a reminder
forgetful      0.15    1.1%  forget 55% of invoices (paid 6-60 days late, 18% of those never)
                             but 80% pay within two days of reading a reminder, so the channel
                             they read matters [Cadena & Schoar; Kuan et al.; Karlan et al.]
late_anyway    0.05    1.8%  80% of invoices 20-60 days late whatever happens; 12% respond to a
                             reminder, 55% to a collection demand [calibrated]
liquidity      0.14    1.6%  money on payday (the 25th): 45% of invoices wait 1-3 paydays or
                             cannot be paid in one sum at all; take plans (70%) and deferrals
                             to payday (75%); 8% vulnerable [DOMAIN: "when they have the
                             money", salaries on the 25th; Baugh & Wang]
pressure_only  0.003   2.5%  pay 5-13 months late unless sent to collection (80% then pay) or,
                             sometimes, called (25%) [calibrated: the necessary escalations]
disputer       0.012   2.0%  contest 35% of their invoices (60% of claims upheld), otherwise
                             punctual
never          0.0015  4.0%  never pay [calibrated]
=============  ======  ====  =============================================================

"churn" is the monthly base rate before any contact (direct debit halves it [DOMAIN]); late
payers leave more often anyway, which is part of why reminded customers churn more
(observationally ~1.7x in the default world, against DOMAIN's x2). A manual payer's invoice
follows another kind's behaviour now and then (:attr:`sim.config.WorldConfig.consistency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

Range = tuple[float, float]


class Kind(StrEnum):
    """A customer's latent payment behaviour (never visible to the engine)."""

    DIRECT_DEBIT = "direct_debit"
    PUNCTUAL = "punctual"
    FORGETFUL = "forgetful"
    LATE_ANYWAY = "late_anyway"
    LIQUIDITY = "liquidity"
    PRESSURE_ONLY = "pressure_only"
    DISPUTER = "disputer"
    NEVER = "never"


@dataclass(frozen=True)
class KindParams:
    """How one kind of customer pays and reacts. Probabilities are per invoice or per contact.

    ``p_late`` is the chance an invoice is paid ``late_days`` after due rather than
    ``on_time_days`` (negative: before due); ``late_days=None`` means never without an action,
    and ``lost`` is the chance a late invoice is never paid without one. ``respond`` is the
    chance that a message the customer reads makes them pay ``respond_days`` later (discounted
    per further contact by :attr:`sim.config.WorldConfig.fatigue`); ``phone_respond`` the chance
    an answered call ends in a promise to pay; ``escalation_respond`` the chance a collection
    demand makes them pay. The ``*_accept`` chances apply to offers the customer reads while
    they would not pay soon anyway; ``plan_keep`` is the chance an accepted plan is kept to the
    end.
    """

    share: float
    monthly_churn: float
    p_late: float
    on_time_days: Range
    late_days: Range | None
    respond: float
    respond_days: Range = (0.0, 2.0)
    phone_respond: float = 0.5
    escalation_respond: float = 0.9
    plan_accept: float = 0.05
    plan_keep: float = 0.85
    deferral_accept: float = 0.05
    dd_accept: float = 0.05
    vulnerable: float = 0.01
    dispute: float = 0.0
    lost: float = 0.0


def default_kinds() -> dict[Kind, KindParams]:
    """The calibrated default mix (see the module's table)."""
    k, kind = KindParams, Kind
    # fmt: off
    return {
        kind.DIRECT_DEBIT: k(0.20, 0.005, 0.01, (0, 0), (8, 45), 0.8, dd_accept=0.0),
        kind.PUNCTUAL: k(0.4435, 0.008, 0.04, (-12, 0), (1, 25), 0.85, dd_accept=0.10),
        kind.FORGETFUL: k(
            0.15, 0.011, 0.55, (-5, 3), (6, 60), 0.80, plan_accept=0.1, dd_accept=0.25, lost=0.18,
        ),
        kind.LATE_ANYWAY: k(
            0.05, 0.018, 0.8, (-3, 4), (20, 60), 0.12, (1, 6),
            phone_respond=0.2, escalation_respond=0.55, plan_accept=0.2, plan_keep=0.7,
            deferral_accept=0.15,
        ),
        kind.LIQUIDITY: k(
            0.14, 0.016, 0.0, (0, 2), None, 0.7,
            escalation_respond=0.6, plan_accept=0.7, plan_keep=0.85, deferral_accept=0.75,
            vulnerable=0.08,
        ),
        kind.PRESSURE_ONLY: k(
            0.003, 0.025, 1.0, (0, 0), (150, 400), 0.04, (1, 6),
            phone_respond=0.25, escalation_respond=0.8,
        ),
        kind.DISPUTER: k(0.012, 0.02, 0.04, (-8, 2), (1, 20), 0.7, dispute=0.35),
        kind.NEVER: k(
            0.0015, 0.04, 1.0, (0, 0), None, 0.0,
            phone_respond=0.0, escalation_respond=0.0, plan_accept=0.0,
        ),
    }
    # fmt: on
