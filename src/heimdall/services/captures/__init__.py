"""Captures from real receivers (docs/captures.md).

    request.py      a capture request checked (422 for what is known at once)
    store.py        the captures table and the Capture shape
    service.py      create / list / get / delete, recordings (zip, spectrogram), re-locate, per-host budget
    plan.py         ranking receivers before a capture (GNSS, free slots, expected error)
    capture_job.py  the ``capture`` job: record every receiver at once, store SigMF, trust, locate
"""
