"""The interactive API docs (Swagger UI at /api/v2/docs, ReDoc at /api/v2/docs/redoc), served
with their scripts and styles from the installed ``openapi-ui-bundles`` package: the pages
work with no network (Litestar's plugins load them from CDNs by default, and render blank
offline)."""

from __future__ import annotations

from typing import Final

import openapi_ui_bundles
from litestar import Router
from litestar.openapi.plugins import OpenAPIRenderPlugin, RedocRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

# Below the docs router, which serves each page and answers every other single-segment
# path: the assets are two segments down.
ASSETS = "/assets"
SWAGGER_UI_ASSETS: Final = f"{ASSETS}/swagger-ui"
REDOC_ASSETS: Final = f"{ASSETS}/redoc"


def render_plugins(docs_path: str) -> list[OpenAPIRenderPlugin]:
    """Swagger UI (the default page, at ``docs_path``) and ReDoc (``docs_path``/redoc), each
    pointed at the assets that ``asset_routers`` serves below ``docs_path``."""
    swagger = f"{docs_path}{SWAGGER_UI_ASSETS}"
    favicon = f"<link rel='icon' type='image/png' href='{swagger}/favicon-32x32.png'>"
    return [
        SwaggerRenderPlugin(
            path="/",
            js_url=f"{swagger}/swagger-ui-bundle.js",
            css_url=f"{swagger}/swagger-ui.css",
            standalone_preset_js_url=f"{swagger}/swagger-ui-standalone-preset.js",
            favicon=favicon,
        ),
        RedocRenderPlugin(
            path="/redoc",
            js_url=f"{docs_path}{REDOC_ASSETS}/redoc.standalone.js",
            google_fonts=False,
            favicon=favicon,
        ),
    ]


def asset_routers() -> list[Router]:
    """The routes of the pages' files, relative to the docs router."""
    return [
        create_static_files_router(
            path=SWAGGER_UI_ASSETS,
            directories=[openapi_ui_bundles.swagger_ui.static_path],
            name="swagger-ui-assets",
        ),
        create_static_files_router(
            path=REDOC_ASSETS,
            directories=[openapi_ui_bundles.redoc.static_path],
            name="redoc-assets",
        ),
    ]
