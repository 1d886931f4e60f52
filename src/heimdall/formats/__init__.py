"""File formats: KiwiSDR IQ WAV (``heimdall.formats.kiwi``), SigMF (``heimdall.formats.sigmf_io``),
GPS time helpers (``heimdall.formats.gnss_time``). Pure: no settings, storage or API imports."""
