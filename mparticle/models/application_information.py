"""ApplicationInformation: the application that produced a batch (``Batch.application_info``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Dict, Optional, Tuple

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

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("application_name"),
        Field("application_version"),
        Field("install_referrer"),
        Field("package"),
        Field("application_build_number"),
        Field("os", enum=OPERATING_SYSTEMS),
        Field("apple_search_ads_attributes", "dict(str, dict(str, str))"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            application_name: Optional[str] = None,
            application_version: Optional[str] = None,
            install_referrer: Optional[str] = None,
            package: Optional[str] = None,
            application_build_number: Optional[str] = None,
            os: Optional[str] = None,
            apple_search_ads_attributes: Optional[Dict[str, Dict[str, str]]] = None,
        ) -> None: ...

        application_name: Optional[str]
        application_version: Optional[str]
        install_referrer: Optional[str]
        package: Optional[str]
        application_build_number: Optional[str]
        os: Optional[str]
        """One of: "Unknown", "IOS", "Android", "WindowsPhone", "MobileWeb", "UnityIOS", "UnityAndroid", "Desktop",
        "TVOS", "Roku", "OutOfBand", "Alexa", "SmartTV", "FireTV", "Xbox".
        """
        apple_search_ads_attributes: Optional[Dict[str, Dict[str, str]]]
