"""Unrolled physics refinement of the set network's estimate (needs torch).

The network's coarse mixture is used as a Gaussian prior per component; a fixed number of damped
Gauss-Newton steps then maximise prior x likelihood of the timing measurements the network was given.
TOA (``toa_m``) and TDoA (``tdoa_m``) channels are both pseudo-ranges ``rho_i = |p - r_i| + b`` with
an unknown common offset ``b`` per modality; ``b`` is profiled out in closed form (weighted centring
of residuals and Jacobian rows), so each step is one 2x2 solve. Everything is batched over samples,
components and receivers (masks for absent receivers), so it traces into the ONNX graph.

The output per component is the refined mean with covariance (F + P)^-1, F the Fisher information
J~^T W J~ at the final point and P the prior precision; the mixture weights are re-scored with the
Laplace approximation of each component's evidence, so a start that fell into a wrong basin (large
residuals) loses its weight. Samples without timing measurements keep the network's head unchanged.
2x2 symmetric matrices are carried as (a, b, c) = [[a, b], [b, c]] to keep the graph elementary.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from heimdall.nn.features import CH

TIMING_CHANNELS = (("toa_mask", "toa_m", "log_toa_sigma_m"), ("tdoa_mask", "tdoa_m", "log_tdoa_sigma_m"))
EARTH_RADIUS_M = 6_371_000.0
DAMPING = 0.05  # Levenberg-Marquardt: lambda * diag(F) added to the normal matrix
MAX_STEP_FRACTION = 0.5  # no step longer than this many length scales
_RANGE_FLOOR_M2 = 1.0
_TINY = 1e-30

Sym2 = tuple[Tensor, Tensor, Tensor]


def _inv2(m: Sym2) -> Sym2:
    a, b, c = m
    det = (a * c - b * b).clamp_min(_TINY)
    return c / det, -b / det, a / det


def _logdet2(m: Sym2) -> Tensor:
    a, b, c = m
    return (a * c - b * b).clamp_min(_TINY).log()


def _quad2(m: Sym2, x: Tensor, y: Tensor) -> Tensor:
    a, b, c = m
    return a * x * x + 2.0 * b * x * y + c * y * y


def has_timing(raw: Tensor) -> Tensor:
    """(N,) True where a present receiver carries a TOA or TDoA value: the sets the refinement touches."""
    present = raw[..., CH["present"]] > 0.5
    return ((present & ((raw[..., CH["toa_mask"]] > 0.5) | (raw[..., CH["tdoa_mask"]] > 0.5))).sum(dim=-1) > 0)


class PhysicsRefiner(nn.Module):
    source_up_m: torch.Tensor  # a buffer (register_buffer), typed for the checker
    """Refines a mixture ``(log_weights, mean, log_sigma, offdiag)`` in length-scale units."""

    def __init__(self, steps: int, source_up_m: float = 0.0) -> None:
        super().__init__()
        self.steps = steps
        # The transmitter's up coordinate about the layout centre, at altitude 0 m (the predictor's default).
        self.register_buffer("source_up_m", torch.tensor(float(source_up_m), dtype=torch.float64))

    def forward(self, raw: Tensor, scale: Tensor, params: tuple[Tensor, Tensor, Tensor, Tensor],
                log_sigma_bounds: tuple[float, float]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        coarse = params
        # Float64 inside: chi^2 and log-evidences reach 1e4 and must be compared to well below 1.
        raw, scale = raw.double(), scale.double()
        raw = torch.where(raw[..., CH["present"]][..., None] > 0.5, raw, torch.zeros_like(raw))  # absent rows
        log_weights, mean, log_sigma, offdiag = (t.double() for t in params)
        s0, s1 = torch.exp(log_sigma[..., 0]) * scale, torch.exp(log_sigma[..., 1]) * scale
        c_m = offdiag * scale
        prior_cov = (s0 * s0, s0 * c_m, c_m * c_m + s1 * s1)
        prior = _inv2(prior_cov)
        mu = mean * scale
        terms = self._timing_terms(raw)
        p = mu
        for _ in range(self.steps):
            info, grad, _ = self._normal_equations(p, raw, terms)
            p = p + self._step(info, grad, prior, p - mu, scale)
        info, _, chi2 = self._normal_equations(p, raw, terms)
        post_cov = _inv2((info[0] + prior[0], info[1] + prior[1], info[2] + prior[2]))
        d = p - mu
        log_evidence = (-0.5 * (chi2 + _quad2(prior, d[..., 0], d[..., 1]))
                        + 0.5 * _logdet2(post_cov) - 0.5 * _logdet2(prior_cov))
        refined = (
            (log_weights + log_evidence).log_softmax(dim=-1), p / scale,
            *self._cholesky(post_cov, scale, log_sigma_bounds),
        )
        timing = has_timing(raw)
        return tuple(  # type: ignore[return-value]
            torch.where(timing.reshape((-1,) + (1,) * (new.dim() - 1)), new.to(old.dtype), old)
            for new, old in zip(refined, coarse, strict=True)
        )

    def _timing_terms(self, raw: Tensor) -> list[tuple[Tensor, Tensor, Tensor]]:
        """Per timing modality: mask, pseudo-range (m) and weight 1/sigma^2 (1/m^2), each (N, 1, R)."""
        terms = []
        present = raw[..., CH["present"]] > 0.5
        for mask_name, value_name, log_sigma_name in TIMING_CHANNELS:
            on = (present & (raw[..., CH[mask_name]] > 0.5))[:, None, :]
            zero = torch.zeros_like(raw[..., 0])[:, None, :]
            # where(), not a product: whatever sits behind a closed mask (even inf) must not leak in.
            rho = torch.where(on, raw[..., CH[value_name]][:, None, :], zero)
            weight = torch.where(on, torch.exp(-2.0 * torch.where(on, raw[..., CH[log_sigma_name]][:, None, :], zero)),
                                 zero)
            terms.append((on.to(raw.dtype), rho, weight))
        return terms

    def _normal_equations(self, p: Tensor, raw: Tensor,
                          terms: list[tuple[Tensor, Tensor, Tensor]]) -> tuple[Sym2, Tensor, Tensor]:
        """Fisher information F (offsets profiled out), J~^T W r~ (N, K, 2) and chi^2 at ``p`` (N, K, 2)."""
        dx = p[..., 0:1] - raw[..., CH["east_m"]][:, None, :]
        dy = p[..., 1:2] - raw[..., CH["north_m"]][:, None, :]
        curvature_m = (p[..., 0:1] ** 2 + p[..., 1:2] ** 2) / (2.0 * EARTH_RADIUS_M)
        dz = self.source_up_m - curvature_m - raw[..., CH["up_m"]][:, None, :]
        range_m = torch.sqrt(dx * dx + dy * dy + dz * dz + _RANGE_FLOOR_M2)
        jx, jy = dx / range_m, dy / range_m
        a = b = c = gx = gy = chi2 = torch.zeros_like(p[..., 0])
        for mask, rho, weight in terms:
            total = weight.sum(dim=-1, keepdim=True).clamp_min(_TINY)
            r = rho - range_m
            rc = (r - (weight * r).sum(dim=-1, keepdim=True) / total) * mask
            jxc = (jx - (weight * jx).sum(dim=-1, keepdim=True) / total) * mask
            jyc = (jy - (weight * jy).sum(dim=-1, keepdim=True) / total) * mask
            a = a + (weight * jxc * jxc).sum(dim=-1)
            b = b + (weight * jxc * jyc).sum(dim=-1)
            c = c + (weight * jyc * jyc).sum(dim=-1)
            gx = gx + (weight * jxc * rc).sum(dim=-1)
            gy = gy + (weight * jyc * rc).sum(dim=-1)
            chi2 = chi2 + (weight * rc * rc).sum(dim=-1)
        return (a, b, c), torch.stack([gx, gy], dim=-1), chi2

    @staticmethod
    def _step(info: Sym2, grad: Tensor, prior: Sym2, offset: Tensor, scale: Tensor) -> Tensor:
        """One damped Gauss-Newton step on -log(prior x likelihood), no longer than MAX_STEP_FRACTION scales."""
        h = (info[0] * (1.0 + DAMPING) + prior[0], info[1] + prior[1], info[2] * (1.0 + DAMPING) + prior[2])
        gx = grad[..., 0] - (prior[0] * offset[..., 0] + prior[1] * offset[..., 1])
        gy = grad[..., 1] - (prior[1] * offset[..., 0] + prior[2] * offset[..., 1])
        ia, ib, ic = _inv2(h)
        step = torch.stack([ia * gx + ib * gy, ib * gx + ic * gy], dim=-1)
        length = torch.sqrt((step * step).sum(dim=-1, keepdim=True) + 1e-12)
        return step * (MAX_STEP_FRACTION * scale / length).clamp(max=1.0)

    @staticmethod
    def _cholesky(cov: Sym2, scale: Tensor, bounds: tuple[float, float]) -> tuple[Tensor, Tensor]:
        """(log_sigma (N, K, 2), offdiag) in length-scale units of the covariance ``cov`` in m^2."""
        a, b, c = cov
        s0 = torch.sqrt(a.clamp_min(_TINY))
        off = b / s0
        s1 = torch.sqrt((c - off * off).clamp_min(_TINY))
        log_sigma = torch.stack([s0.log(), s1.log()], dim=-1) - scale.log()
        return log_sigma.clamp(*bounds), off / scale
