"""Packaging for the mparticle SDK."""
import os

from setuptools import find_packages, setup

here = os.path.dirname(os.path.abspath(__file__))
about = {}
with open(os.path.join(here, "mparticle", "version.py")) as handle:
    exec(handle.read(), about)
with open(os.path.join(here, "README.md"), encoding="utf-8") as handle:
    long_description = handle.read()

setup(
    name="mparticle",
    version=about["__version__"],
    description="mParticle Events API SDK: models, uploads with retries, a background uploader and a CLI",
    long_description=long_description,
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.9",
    packages=find_packages(include=["mparticle", "mparticle.*"]),
    package_data={"mparticle": ["py.typed"]},
    # The original SDK's four requirements, kept so that an upgrade changes no environment:
    # urllib3 (transport), certifi (CA bundle), python-dateutil (ApiClient.deserialize of
    # dates). six is not imported by this package (there is no Python 2 code); it stays
    # declared because 0.16.1 declared it and code in the wild imports six through it.
    install_requires=["urllib3>=1.26", "certifi", "python-dateutil>=2.5.3", "six>=1.10"],
    entry_points={"console_scripts": ["mparticle = mparticle.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "License :: OSI Approved :: Apache Software License",
        "Typing :: Typed",
    ],
)
