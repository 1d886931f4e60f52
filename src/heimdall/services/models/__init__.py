"""The models use-case: registered neural localizers, how they are trained, served and moved.

``registry`` (ModelRegistry: register, list, deploy), ``serving`` (the method resolver behind
``/localize``), ``bundle`` (portable zip bundles), ``training`` (TrainingService: check a request and
start the job), ``training_data`` (the datasets a training job reads) and ``training_job`` (the
``training`` job kind it runs on the job engine). Torch is never imported here: the torch side lives
in ``heimdall.training``. docs/registry.md.
"""
