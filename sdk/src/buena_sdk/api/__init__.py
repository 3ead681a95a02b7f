from buena_sdk.api.default_api import DefaultApi

__all__ = ["DefaultApi"]
