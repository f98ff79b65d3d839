"""The wheel's one import package, ``protocol_kit``: its code under ``src/``, its data at the root.

The Python code lives where its import name says (``src/protocol_kit/server`` is
``protocol_kit.server``), so mypy, ruff and editors read the tree as it is, and a run from the
clone's root can never import a partial ``protocol_kit`` from the working directory. The
contract and the templates stay at the repository's root, where spec authors and other tools
look for them; the wheel carries them as the data packages below.
"""

from setuptools import find_packages, setup

# data package -> folder at the repository's root
DATA = {"protocol_kit.openapi": "openapi", "protocol_kit.templates": "templates"}

setup(packages=[*find_packages("src"), *DATA], package_dir={"": "src", **DATA})
