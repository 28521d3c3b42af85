from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from app.auth import service, siwe
from app.auth.forms import ProfileForm
from app.auth.models import Account
from app.auth.sessions import end_session, start_session
from app.errors import render_error
from app.extensions import limiter
from app.i18n import safe_next
from app.inputs import JsonText, json_body
from app.security import client_address, client_key

bp = Blueprint("auth", __name__)

#: Per wallet and client: one resident's failures never lock out another behind the same
#: address (a venue's Wi-Fi). Issuing a message writes a row; verifying may cost a chain call.
SIGN_IN_LIMIT = "10/minute"
MESSAGE_LIMIT = "20/minute"
#: Per client, whatever the wallet: a ceiling on what one address may cost the site.
SIGN_IN_CLIENT_LIMIT = "60/minute"
MESSAGE_CLIENT_LIMIT = "120/minute"
SETTINGS_LIMIT = "20/minute"
#: Session key of the nonce this browser was last given; only it may be signed here.
SIGN_IN_NONCE = "sign_in_nonce"

#: What the sign-in script posts.
MESSAGE_REQUEST = {"address": JsonText(max_length=64)}
SIGNED_MESSAGE = {
    "message": JsonText(max_length=siwe.MAX_MESSAGE_LENGTH, single_line=False),
    "signature": JsonText(max_length=2 + 2 * siwe.MAX_SIGNATURE_BYTES),
    "next": JsonText(max_length=2048, required=False),
}

#: The endpoints the sign-in script calls; they answer JSON {error, message} on every failure.
JSON_ENDPOINTS = {"auth.sign_in_message", "auth.sign_in_post"}

#: code -> (status, what the person reads). Codes are the stable part; scripts switch on them.
SIGN_IN_ERRORS: dict[str, tuple[int, Any]] = {
    "malformed_message": (400, _l("The sign-in message is not valid. Please start signing in again.")),
    "invalid_address": (400, _l("That is not a wallet address (0x followed by 40 hexadecimal digits).")),
    "domain_mismatch": (400, _l("This sign-in message was made for another website. Please sign in from this site.")),
    "uri_mismatch": (400, _l("This sign-in message was made for another page. Please start signing in again here.")),
    "chain_mismatch": (400, _l("Your wallet is on a different network. Switch to this site's network and sign in again.")),
    "nonce_mismatch": (400, _l("This sign-in request was already used or replaced. Please start signing in again.")),
    "expired": (400, _l("This sign-in request has expired. Please start signing in again.")),
    "not_yet_valid": (400, _l("This sign-in request is not valid yet. Check your device's clock and try again.")),
    "issued_in_future": (400, _l("This sign-in message is dated in the future. Check your device's clock and try again.")),
    "invalid_signature": (401, _l("The signature does not match the wallet address. Please sign again with the same wallet.")),
    "malformed_signature": (401, _l("The signature could not be read. Please sign again.")),
    "siwe_error": (400, _l("Sign-in failed. Please start signing in again.")),
    "bad_request": (400, _l("The sign-in request was incomplete. Reload the page and try again.")),
    "csrf": (400, _l("This page has expired. Reload it and try again.")),
    "session_mismatch": (400, _l("This sign-in request was started in another browser session. Please start signing in again here.")),
    "message_mismatch": (400, _l("The signed text is not the message this site issued. Please start signing in again.")),
    "noncanonical_signature": (401, _l("The signature is not in the standard form wallets produce. Please sign again with your wallet.")),
    "rate_limited": (429, _l("Too many sign-in attempts. Please wait a minute and try again.")),
    "chain_unavailable": (503, _l("We could not reach the blockchain to check your smart-contract wallet. Please try again in a few minutes.")),
}


def sign_in_refused(code: str) -> ResponseReturnValue:
    status, text = SIGN_IN_ERRORS.get(code, SIGN_IN_ERRORS["siwe_error"])
    return {"error": code, "message": str(text)}, status


def _signed_in() -> Account | None:
    return current_user._get_current_object() if current_user.is_authenticated else None  # type: ignore[attr-defined]


def _wallet_in_request() -> str:
    """The wallet a sign-in request is about (lower case), for its rate limit; "-" when none."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return "-"
    wallet = body.get("address")
    if not isinstance(wallet, str) and isinstance(body.get("message"), str):
        lines = body["message"].split("\n", 2)
        wallet = lines[1] if len(lines) > 1 else None
    return wallet.strip().lower()[:42] if isinstance(wallet, str) and wallet.strip() else "-"


def wallet_and_client_key() -> str:
    return f"wallet:{_wallet_in_request()}:client:{client_address()}"


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> ResponseReturnValue:
    if request.endpoint in JSON_ENDPOINTS:
        return sign_in_refused("csrf")
    return render_error(400, _("The form expired or was sent from another site. Reload the page and try again."))


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded) -> ResponseReturnValue:
    if request.endpoint in JSON_ENDPOINTS:
        return sign_in_refused("rate_limited")
    return render_error(429)


# -- sign-in ---------------------------------------------------------------------------------------


def _sign_in_texts(network: service.WalletNetwork) -> dict[str, str]:
    """What the sign-in script may say, in the page's language."""
    return {
        "chooseWallet": _("Choose the wallet to sign in with:"),
        "browserWallet": _("Wallet in this browser"),
        "connecting": _("Connecting to your wallet… Check your wallet's window."),
        "rejected": _("You cancelled the request in your wallet. Nothing was signed. Choose your wallet to try again."),
        "pending": _("Your wallet is already waiting for you. Open your wallet and answer its request."),
        "noAccount": _("Your wallet shared no account. Unlock your wallet and try again."),
        "wrongNetwork": _("Your wallet is on another network. Switch it to %(network)s to sign in.", network=network.name),
        "switchFailed": _(
            "Your wallet could not switch networks. Choose %(network)s (chain id %(chain_id)s) in your wallet, then try again.",
            network=network.name,
            chain_id=network.chain_id,
        ),
        "signing": _("Please sign the message in your wallet. Signing is free and sends no transaction."),
        "verifying": _("Checking your signature…"),
        "signedIn": _("Signed in. Opening your page…"),
        "unreachable": _("The site could not be reached. Check your internet connection and try again."),
        "walletError": _("Your wallet could not complete the request. Try again, or use another wallet."),
    }


@bp.get("/sign-in")
def sign_in() -> ResponseReturnValue:
    """Show the wallet sign-in page."""
    config = current_app.config["SETTINGS"]
    network = service.wallet_network(config)
    sign_in_data = {
        "messageUrl": url_for("auth.sign_in_message"),
        "signInUrl": url_for("auth.sign_in_post"),
        "next": safe_next(request.args.get("next"), url_for("auth.my_page")),
        "csrfToken": generate_csrf(),
        "chain": {"chainId": network.chain_id_hex, "name": network.name, "addParameters": network.add_chain_parameters()},
        "texts": _sign_in_texts(network),
    }
    return render_template("auth/sign_in.html", sign_in_data=sign_in_data, network=network, account=_signed_in())


@bp.post("/sign-in/message")
@limiter.limit(MESSAGE_CLIENT_LIMIT, key_func=client_key)
@limiter.limit(MESSAGE_LIMIT, key_func=wallet_and_client_key)
@json_body(MESSAGE_REQUEST)
def sign_in_message(body: dict[str, Any]) -> ResponseReturnValue:
    """Issue an EIP-4361 message with a fresh single-use nonce for the wallet to sign."""
    site = service.SignInSite.from_config(current_app.config["SETTINGS"])
    statement = _("Sign in to Nishikawa Digital Residents.")
    try:
        message = service.issue_sign_in_message(site, body["address"], statement)
    except siwe.SiweError as error:
        return sign_in_refused(error.code)
    # Binds the nonce to this browser: the signed message must come back from this session.
    session[SIGN_IN_NONCE] = message.nonce
    return {"message": message.to_text(), "nonce": message.nonce, "expiresAt": message.expiration_time}


@bp.post("/sign-in")
@limiter.limit(SIGN_IN_CLIENT_LIMIT, key_func=client_key)
@limiter.limit(SIGN_IN_LIMIT, key_func=wallet_and_client_key)
@json_body(SIGNED_MESSAGE)
def sign_in_post(body: dict[str, Any]) -> ResponseReturnValue:
    """Verify a signed sign-in message and start a fresh session for its wallet."""
    config = current_app.config["SETTINGS"]
    issued_nonce = session.get(SIGN_IN_NONCE)
    try:
        account = service.sign_in_with_wallet(
            service.SignInSite.from_config(config),
            service.SignedMessage(body["message"], body["signature"]),
            issued_nonce=issued_nonce if isinstance(issued_nonce, str) else None,
            contract_wallets=service.contract_wallet_check(config),
        )
    except siwe.SiweError as error:
        return sign_in_refused(error.code)
    except service.ContractWalletUnavailable as error:
        current_app.logger.warning("sign-in: smart-contract wallet check failed: %s", error)
        return sign_in_refused(error.code)
    start_session(account, "siwe")
    return {"address": account.address, "redirect": safe_next(body.get("next"), url_for("auth.my_page"))}


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """Sign out: end this session everywhere its cookie was copied to, keep the language."""
    end_session()
    return redirect(url_for("home.index"))


# -- my page and public profiles ----------------------------------------------------------------------


@bp.route("/me", methods=["GET", "POST"])
@limiter.limit(SETTINGS_LIMIT, methods=["POST"])
def my_page() -> ResponseReturnValue:
    """Show the signed-in person's wallet, resident card and settings; save the settings."""
    account = _signed_in()
    if account is None:
        return redirect(url_for("auth.sign_in", next=request.path))
    form = ProfileForm(obj=account, locale=account.locale or "")
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render_my_page(account, form), 400
        settings = service.ProfileSettings(form.display_name.data or None, form.profile_public.data, form.locale.data or None)
        service.update_profile(account, settings)
        flash(_("Your settings were saved."), "success")
        return redirect(url_for("auth.my_page"))
    return _render_my_page(account, form)


def _render_my_page(account: Account, form: ProfileForm) -> str:
    return render_template("auth/my_page.html", page=service.my_page(account), form=form)


@bp.get("/residents/<int:number>")
def resident_profile(number: int) -> ResponseReturnValue:
    """Show resident number N's public profile: the name only if they chose to show it."""
    profile = service.public_profile(number)
    if profile is None:
        abort(404)
    return render_template("auth/resident_profile.html", profile=profile)
