"""ApplicationInformation: the application that produced a batch (``Batch.application_info``)."""

from __future__ import annotations

from mparticle.models.base import Field, Model

OPERATING_SYSTEMS = [
    "Unknown",
    "IOS",
    "Android",
    "WindowsPhone",
    "MobileWeb",
    "UnityIOS",
    "UnityAndroid",
    "Desktop",
    "TVOS",
    "Roku",
    "OutOfBand",
    "Alexa",
    "SmartTV",
    "FireTV",
    "Xbox",
]


class ApplicationInformation(Model):
    """The application that produced a batch (``Batch.application_info``)."""

    fields = (
        Field("application_name"),
        Field("application_version"),
        Field("install_referrer"),
        Field("package"),
        Field("application_build_number"),
        Field("os", enum=OPERATING_SYSTEMS),
        Field("apple_search_ads_attributes", "dict(str, dict(str, str))"),
    )
