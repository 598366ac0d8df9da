"""The composition root: the one place where the parts of Banshi are wired together.

It reads the environment (:mod:`app.settings`), builds the domain services
(:mod:`app.services`), runs the servers (:mod:`app.run`), trains the model
(:mod:`app.training`), holds the workflows that span several parts (:mod:`app.workflows`) and
the ``banshi`` command line (:mod:`app.cli`). Rasa finds its entry points here too
(:mod:`app.rasa_entry`, :mod:`app.action_entry`). Everything may be imported from here;
nothing imports this package except tests, benchmarks and evaluation scripts.
"""
