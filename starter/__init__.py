"""What starts and drives Switchyard from outside: ``api/`` (the HTTP API), ``console/``
(the web console), ``cli/`` (the ``dom`` command), over ``bootstrap/``, which builds the
settings, keys, logging, Temporal client and worker that every entry point runs on."""
