"""The site's read-only IPFS gateway: `/ipfs/<cid>` serves files from the local block store.

A CID names its bytes forever, so responses are cached as immutable for a year and the CID
itself is the ETag. Only the CIDs this project produces are accepted (see minting.ipfs.cid).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.config import Config, instance_path
from app.errors import render_error
from minting.ipfs import BlockNotFound, CorruptBlock, InvalidCid, LocalBlockstore, parse_cid

#: Folder of the local block store inside the instance folder.
BLOCKSTORE_FOLDER = "ipfs"

IMMUTABLE = "public, max-age=31536000, immutable"
FILE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"

bp = Blueprint("ipfs_gateway", __name__)


def blockstore_path(config: Config) -> Path:
    """Return where the local block store keeps its blocks for this site."""
    return instance_path(config) / BLOCKSTORE_FOLDER


def local_blockstore(config: Config, *, durable: bool = True) -> LocalBlockstore:
    """Open (creating if needed) the site's local block store."""
    return LocalBlockstore(blockstore_path(config), durable=durable)


def register_gateway(app: Flask) -> None:
    """Serve the local block store at /ipfs/<cid> (called by create_app)."""
    app.register_blueprint(bp)


@bp.get("/ipfs/<cid>")
def ipfs_file(cid: str) -> ResponseReturnValue:
    """Send the file named by `cid` from the local block store."""
    try:
        canonical = str(parse_cid(cid)) == cid
    except InvalidCid:
        canonical = False
    if not canonical:
        return render_error(400, _("This is not a valid IPFS address (CID). Check that it was copied completely."))

    if request.if_none_match.contains(cid):
        response = Response(status=304)
        _cache_headers(response, cid)
        return response

    store = LocalBlockstore(blockstore_path(current_app.config["SETTINGS"]), durable=False)
    try:
        content_type = store.content_type(cid)
        size = store.file_size(cid)
        # Read every block before answering, so a missing or damaged block is a clean 404/500,
        # never a response cut off half-way. Files here are card images and metadata (~100 KB).
        body = b"".join(store.iter_file(cid)) if request.method != "HEAD" else b""
    except BlockNotFound:
        return render_error(404, _("No file with this IPFS address is stored on this site."))
    except CorruptBlock:
        current_app.logger.error("IPFS block store: a block of %s does not match its CID", cid)
        return render_error(500, _("This file is damaged on the server. The error was recorded for the site's administrators."))

    response = Response(body, content_type=content_type)
    response.content_length = size
    _cache_headers(response, cid)
    # Anyone can add a file, and an SVG or HTML file on the site's own origin could run script:
    # files are sandboxed and may load nothing.
    response.headers["Content-Security-Policy"] = FILE_POLICY
    return response


def _cache_headers(response: Response, cid: str) -> None:
    response.headers["Cache-Control"] = IMMUTABLE
    response.set_etag(cid)
