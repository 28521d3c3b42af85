"""forums

Categories, threads, posts, read markers and reports, plus the search indexes, which differ by
database: SQLite gets FTS5 tables (trigram for terms of 3+ characters, unicode61 over our own
1-2 character grams) kept in step by triggers; PostgreSQL gets pg_trgm GIN indexes and a GIN
index over the grams array. See community/forums/search.py.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: (FTS table, content table, column, tokenizer) for SQLite.
SQLITE_FTS = (
    ("forum_posts_trigram", "forum_posts", "body_source", "trigram"),
    ("forum_posts_grams", "forum_posts", "search_grams", "unicode61 remove_diacritics 0"),
    ("forum_threads_trigram", "forum_threads", "title", "trigram"),
    ("forum_threads_grams", "forum_threads", "search_grams", "unicode61 remove_diacritics 0"),
)


def _sqlite_search_up():
    for fts, table, column, tokenizer in SQLITE_FTS:
        op.execute(f"DROP TABLE IF EXISTS {fts}")
        # External content: the FTS table indexes the column without keeping a second copy.
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='id', tokenize='{tokenizer}')")
        op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
                   f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END")
        op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
                   f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END")
        op.execute(f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN "
                   f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
                   f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END")


def _sqlite_search_down():
    for fts, _table, _column, _tokenizer in SQLITE_FTS:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")


def _postgresql_search_up():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_forum_posts_body_trgm ON forum_posts USING gin (body_source gin_trgm_ops)")
    op.execute("CREATE INDEX ix_forum_threads_title_trgm ON forum_threads USING gin (title gin_trgm_ops)")
    # Must match the expression in search.py exactly, or the planner will not use it.
    op.execute("CREATE INDEX ix_forum_posts_grams ON forum_posts USING gin (string_to_array(search_grams, ' '))")
    op.execute("CREATE INDEX ix_forum_threads_grams ON forum_threads USING gin (string_to_array(search_grams, ' '))")


def _postgresql_search_down():
    for index in ("ix_forum_threads_grams", "ix_forum_posts_grams", "ix_forum_threads_title_trgm", "ix_forum_posts_body_trgm"):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    # pg_trgm stays: other schemas in the database may use it.


def upgrade():
    op.create_table('forum_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name_ja', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('description_ja', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('thread_count', sa.Integer(), nullable=False),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('last_post_id', sa.Integer(), nullable=True),
    sa.Column('last_post_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_forum_categories_slug'))
    )
    op.create_table('forum_readers',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('read_all_before', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_forum_readers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_forum_readers'))
    )
    op.create_table('forum_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_post_id', sa.Integer(), nullable=False),
    sa.Column('last_post_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('search_grams', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], name=op.f('fk_forum_threads_author_id_accounts')),
    sa.ForeignKeyConstraint(['category_id'], ['forum_categories.id'], name=op.f('fk_forum_threads_category_id_forum_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_threads'))
    )
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_threads_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_forum_threads_category_listing', ['category_id', 'pinned', 'last_post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_threads_last_post_id'), ['last_post_id'], unique=False)

    op.create_table('forum_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_reason', sa.String(length=500), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('search_grams', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], name=op.f('fk_forum_posts_author_id_accounts')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['accounts.id'], name=op.f('fk_forum_posts_hidden_by_id_accounts')),
    sa.ForeignKeyConstraint(['thread_id'], ['forum_threads.id'], name=op.f('fk_forum_posts_thread_id_forum_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_posts'))
    )
    with op.batch_alter_table('forum_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_posts_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_forum_posts_thread_id_id', ['thread_id', 'id'], unique=False)

    op.create_table('forum_read_markers',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('last_read_post_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_forum_read_markers_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['forum_threads.id'], name=op.f('fk_forum_read_markers_thread_id_forum_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'thread_id', name=op.f('pk_forum_read_markers'))
    )
    op.create_table('forum_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('resolution_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['forum_posts.id'], name=op.f('fk_forum_reports_post_id_forum_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['accounts.id'], name=op.f('fk_forum_reports_reporter_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['accounts.id'], name=op.f('fk_forum_reports_resolved_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_reports')),
    sa.UniqueConstraint('post_id', 'reporter_id', name='uq_forum_reports_post_reporter')
    )
    with op.batch_alter_table('forum_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_reports_resolved_at'), ['resolved_at'], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_search_up()
    elif dialect == "postgresql":
        _postgresql_search_up()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_search_down()
    elif dialect == "postgresql":
        _postgresql_search_down()
    with op.batch_alter_table('forum_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_reports_resolved_at'))

    op.drop_table('forum_reports')
    op.drop_table('forum_read_markers')
    with op.batch_alter_table('forum_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_forum_posts_thread_id_id')
        batch_op.drop_index(batch_op.f('ix_forum_posts_author_id'))

    op.drop_table('forum_posts')
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_threads_last_post_id'))
        batch_op.drop_index('ix_forum_threads_category_listing')
        batch_op.drop_index(batch_op.f('ix_forum_threads_author_id'))

    op.drop_table('forum_threads')
    op.drop_table('forum_readers')
    op.drop_table('forum_categories')
