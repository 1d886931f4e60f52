"""``calibrate``: per-receiver systematic offsets from known-source captures, in one call."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from heimdall.calibrate.design import MODALITIES_OF, QUANTITIES, build_rows, restrict
from heimdall.calibrate.model import ZERO_MEAN, Calibration
from heimdall.calibrate.references import ReceiverSite, Reference, check_references
from heimdall.calibrate.solve import fit_offsets
from heimdall.errors import InvalidInput


def calibrate(references: Sequence[Reference], *, receivers: Iterable[str] | None = None,
              quantities: Iterable[str] | None = None, gauge: str = ZERO_MEAN) -> Calibration:
    """Fit every quantity the references carry (or those asked for) jointly over all references.

    ``receivers`` restricts the fit to these ids (measurements involving others are left out);
    ``gauge`` fixes relative offsets: ``"zero_mean"`` or a receiver id pinned at zero.
    Refuses, with a one-line reason, whatever the data cannot support; nothing is partly returned.
    """
    sites = check_references(references)
    allowed = set(sites) if receivers is None else _known(set(receivers), sites)
    wanted = _quantities(quantities)
    rows = {q: restrict(r, allowed) for q, r in build_rows(references).items() if q in wanted}
    offsets = {}
    for quantity, quantity_rows in rows.items():
        if len(quantity_rows):
            offsets[quantity] = fit_offsets(quantity_rows, gauge, order=list(sites))
        elif quantities is not None:
            raise InvalidInput(f"no reference carries {'/'.join(MODALITIES_OF[quantity])} measurements of the "
                               f"chosen receivers, so {quantity} cannot be calibrated", field="quantities")
    if not offsets:
        raise InvalidInput("the references carry no measurement of the chosen receivers", field="receivers")
    used = {rid for cal in offsets.values() for rid in cal.receivers}
    return Calibration(offsets=offsets, receivers={rid: sites[rid] for rid in sites if rid in used},
                       reference_count=len(references))


def _known(receivers: set[str], sites: dict[str, ReceiverSite]) -> set[str]:
    unheard = sorted(receivers - set(sites))
    if unheard:
        raise InvalidInput(f"{', '.join(unheard)}: in no reference's measurements, so cannot be calibrated",
                           field="receivers", details={"receivers": unheard, "reason": "not_heard"})
    return receivers


def _quantities(quantities: Iterable[str] | None) -> set[str]:
    if quantities is None:
        return set(QUANTITIES)
    wanted = set(quantities)
    unknown = sorted(wanted - set(QUANTITIES))
    if unknown:
        raise InvalidInput(f"unknown quantity {unknown[0]!r} (expected {', '.join(QUANTITIES)})", field="quantities")
    return wanted
