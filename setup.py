"""Map the repository's top-level folders into the one import package, ``protocol_kit``.

The folders stay where a reader looks for them (``reference_server/``, ``conformance/``, …);
the wheel installs them as subpackages of ``protocol_kit``. Subpackages are discovered, never
listed, so a new one cannot be left out of the wheel.
"""

from setuptools import find_packages, setup

# import name -> folder in the repository
ROOTS = {
    "protocol_kit": "protocol_kit",
    "protocol_kit.openapi": "openapi",
    "protocol_kit.templates": "templates",
    "protocol_kit.server": "reference_server",
    "protocol_kit.conformance": "conformance",
    "protocol_kit.generator": "generator",
}


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for name, folder in ROOTS.items():
        package_dir[name] = folder
        packages.append(name)
        for sub in find_packages(folder):
            packages.append(f"{name}.{sub}")
            package_dir[f"{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"
    return packages, package_dir


packages, package_dir = _packages()
setup(packages=packages, package_dir=package_dir)
