"""Job kinds that ship with the jobs package. Each module registers its kinds when imported; list it
in ``settings.job_modules`` (HEIMDALL_JOB_MODULES) to make them available."""
