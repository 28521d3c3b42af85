"""Flask extensions, created unbound here and attached in create_app()."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

#: Stable constraint names, so Alembic migrations name the same thing on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Model)
migrate = Migrate(compare_type=True, render_as_batch=True)
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
def _rate_limit_key() -> str:
    from app.security import rate_limit_key

    return rate_limit_key()


#: Storage comes from RATELIMIT_STORAGE_URI: memory:// in development, Redis in production.
#: Counted per signed-in account, else per client address (app.security.rate_limit_key).
limiter = Limiter(key_func=_rate_limit_key)
