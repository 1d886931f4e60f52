"""The permutation-invariant set network and its loss (needs torch).

Each receiver slot is embedded by a shared MLP, refined by masked self-attention over the receivers
present, pooled (masked mean and max) and mapped to a mixture of K 2-D Gaussians over the
transmitter's east/north position about the layout centre.

Units and parametrisation, explicitly: the network works in units of ``length_scale_m`` (see
``FeatureNormalization``). Each component k has a mean mu_k and a lower-triangular Cholesky factor
L_k = [[exp(s0), 0], [c, exp(s1)]], where s0 and s1 are *log standard deviations* (not log variances)
and c is unconstrained; the covariance is L_k L_k^T. ``mixture_nll`` is the negative log-likelihood
in nats of the position in those units; the same quantity with positions in metres is
``nll + 2 * log(length_scale_m)``. ``to_metres`` gives means in metres and covariances in m^2.

With ``refine_steps`` > 0 the head's mixture is the prior and start of the unrolled Gauss-Newton
refinement of ``heimdall.nn.refine`` and ``forward`` returns the refined mixture (same shapes, same
units); ``coarse_and_refined`` gives both for training.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from heimdall.nn.config import NetworkConfig
from heimdall.nn.features import CH, FEATURE_CHANNELS, channel_gate_index
from heimdall.nn.layout import ReceiverLayout
from heimdall.nn.normalization import FeatureNormalization
from heimdall.nn.refine import PhysicsRefiner

LOG_SIGMA_MIN = -9.0  # in length-scale units: ~2.5 m at a 20 km scale
LOG_SIGMA_MAX = 4.0
_MASKED = -1e4  # large enough to vanish in softmax/max, small enough to stay finite in float32
_LOG_2PI = math.log(2.0 * math.pi)
# (log_weights (N, K), mean (N, K, 2), log_sigma (N, K, 2), offdiag (N, K)), in length-scale units.
MixtureParams = tuple[Tensor, Tensor, Tensor, Tensor]


def _mlp(n_in: int, n_hidden: int, n_layers: int, dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(n_layers):
        layers += [nn.Linear(n_in if i == 0 else n_hidden, n_hidden), nn.GELU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class MaskedSelfAttention(nn.Module):
    """Pre-norm transformer block over receivers; absent receivers are neither attended nor updated."""

    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden)
        self.ff = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.GELU(), nn.Linear(2 * hidden, hidden))
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: Tensor, mask: Tensor) -> Tensor:
        n, r, d = h.shape
        q, k, v = self.qkv(self.norm1(h)).reshape(n, r, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        scores = scores + (1.0 - mask)[:, None, None, :] * _MASKED
        attended = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(n, r, d)
        h = h + self.dropout(self.proj(attended)) * mask[..., None]
        return h + self.dropout(self.ff(self.norm2(h))) * mask[..., None]


class SetLocalizer(nn.Module):
    feature_offset: torch.Tensor  # buffers (register_buffer), typed for the checker
    feature_scale: torch.Tensor
    gate_index: torch.Tensor
    length_scale_m: torch.Tensor
    """Raw features (N, R, C) -> mixture parameters in length-scale units (see module docstring)."""

    def __init__(self, config: NetworkConfig, normalization: FeatureNormalization, *, source_up_m: float = 0.0,
                 timing: bool = True) -> None:
        """``timing``: whether the layout has TOA/TDoA at all; without, no refinement is built (nor exported)."""
        super().__init__()
        self.config = config
        k, hidden = config.mixture_components, config.hidden_size
        self.register_buffer("feature_offset", torch.tensor(normalization.offset, dtype=torch.float32))
        self.register_buffer("feature_scale", torch.tensor(normalization.scale, dtype=torch.float32))
        self.register_buffer("gate_index", torch.tensor(channel_gate_index(), dtype=torch.long))
        self.register_buffer("length_scale_m", torch.tensor(normalization.length_scale_m, dtype=torch.float32))
        self.encoder = _mlp(len(FEATURE_CHANNELS), hidden, config.encoder_layers, config.dropout)
        self.blocks = nn.ModuleList(
            MaskedSelfAttention(hidden, config.attention_heads, config.dropout) for _ in range(config.attention_blocks)
        )
        self.head = _mlp(2 * hidden, hidden, config.head_layers, config.dropout)
        self.out = nn.Linear(hidden, k * 6)  # per component: logit, mean (2), log sigma (2), off-diagonal
        self.refiner = PhysicsRefiner(config.refine_steps, source_up_m) if config.refine_steps and timing else None

    def forward(self, raw: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """-> (log_weights (N, K), mean (N, K, 2), log_sigma (N, K, 2), offdiag (N, K)), refined if configured."""
        return self.coarse_and_refined(raw)[1]

    def coarse_and_refined(self, raw: Tensor) -> tuple[MixtureParams, MixtureParams]:
        """The head's own mixture and the physics-refined one (the same object without refinement)."""
        coarse = self._head(raw)
        if self.refiner is None:
            return coarse, coarse
        return coarse, self.refiner(raw, self.length_scale_m, coarse, (LOG_SIGMA_MIN, LOG_SIGMA_MAX))

    def _head(self, raw: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        mask = raw[..., CH["present"]]
        x = (raw - self.feature_offset) / self.feature_scale * raw.index_select(-1, self.gate_index)
        h = self.encoder(x) * mask[..., None]
        for block in self.blocks:
            h = block(h, mask)
        mean_pool = h.sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp_min(1.0)
        max_pool = (h + (1.0 - mask[..., None]) * _MASKED).amax(dim=1)
        p = self.out(self.head(torch.cat([mean_pool, max_pool], dim=-1)))
        p = p.reshape(p.shape[0], self.config.mixture_components, 6)
        log_weights = p[..., 0].log_softmax(dim=-1)
        log_sigma = p[..., 3:5].clamp(LOG_SIGMA_MIN, LOG_SIGMA_MAX)
        return log_weights, p[..., 1:3], log_sigma, p[..., 5]


def build_network(config: NetworkConfig, layout: ReceiverLayout, normalization: FeatureNormalization) -> SetLocalizer:
    """The one place a network is made, for training and for loading a checkpoint alike.

    The transmitter is placed at altitude 0 m (the predictor's default), i.e. ``-centre_alt_m`` about
    the layout centre; refinement layers exist only where the layout has a timing modality.
    """
    return SetLocalizer(config, normalization, source_up_m=-layout.centre_alt_m,
                        timing=bool({"toa", "tdoa"} & set(layout.modalities)))


def mixture_nll(params: tuple[Tensor, Tensor, Tensor, Tensor], target: Tensor) -> Tensor:
    """Per-sample negative log-likelihood (nats, length-scale units) of ``target`` (N, 2)."""
    log_weights, mean, log_sigma, offdiag = params
    d = target[:, None, :] - mean
    z0 = d[..., 0] * torch.exp(-log_sigma[..., 0])
    z1 = (d[..., 1] - offdiag * z0) * torch.exp(-log_sigma[..., 1])
    log_component = -0.5 * (z0**2 + z1**2) - log_sigma.sum(dim=-1) - _LOG_2PI
    return -torch.logsumexp(log_weights + log_component, dim=-1)


def component_covariances(log_sigma: Tensor, offdiag: Tensor) -> Tensor:
    """(N, K, 2, 2) covariances L L^T, written out so that the ONNX graph stays elementary."""
    s0, s1 = torch.exp(log_sigma[..., 0]), torch.exp(log_sigma[..., 1])
    row0 = torch.stack([s0 * s0, s0 * offdiag], dim=-1)
    row1 = torch.stack([s0 * offdiag, offdiag * offdiag + s1 * s1], dim=-1)
    return torch.stack([row0, row1], dim=-2)


def moment_match(params: tuple[Tensor, Tensor, Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """The single Gaussian with the mixture's mean and covariance: (N, 2), (N, 2, 2)."""
    log_weights, mean, log_sigma, offdiag = params
    w = log_weights.exp()[..., None]
    total_mean = (w * mean).sum(dim=1)
    spread = mean - total_mean[:, None, :]
    cov = component_covariances(log_sigma, offdiag) + spread[..., :, None] * spread[..., None, :]
    return total_mean, (w[..., None] * cov).sum(dim=1)


class MetricLocalizer(nn.Module):
    network: SetLocalizer
    """Wraps a ``SetLocalizer`` so that it answers in metres: what ONNX export traces."""

    def __init__(self, network: SetLocalizer) -> None:
        super().__init__()
        self.network = network

    def forward(self, raw: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """-> mean_en_m (N, 2), covariance_en_m2 (N, 2, 2), and the mixture: weights, means, covariances."""
        params = self.network(raw)
        scale = self.network.length_scale_m
        mean, cov = moment_match(params)
        log_weights, means, log_sigma, offdiag = params
        return (
            mean * scale, cov * scale**2, log_weights.exp(), means * scale,
            component_covariances(log_sigma, offdiag) * scale**2,
        )
