"""Sub-commands of the ``textgen-lab`` CLI, one module each (see :mod:`lab.cli`)."""
