-- `rollup capture install`, on the source as its owner: an opt-in log of deleted rentals, so that
-- a run learns what was deleted by reading the few ids logged since its cutoff instead of counting
-- the rental table (migrations/V10 and queries/pipeline/03_captured_deletion.sql read it).
--
-- * rollup_capture.deleted_rental: one row per deleted rental, stamped like Pagila stamps
--   last_update (now(): the start of the deleting transaction), so the run's cursor and lookback
--   apply to it unchanged. Indexed on the stamp: a run reads what is new, not the log.
-- * rollup_capture.installation: one row whose generation changes on every install and on every
--   TRUNCATE of rental; a rollup trusts the log only after a run has checked the totals under the
--   same generation, so deletes made before the capture existed (or a TRUNCATE, which fires no
--   delete trigger) are never missed. pruned_before: log rows older than this were pruned
--   (`rollup capture prune`); a rollup whose cutoff is older checks the totals instead.
-- * Statement-level triggers with a transition table: one INSERT per DELETE statement, however
--   many rows it deletes. SECURITY DEFINER so the roles that delete rentals need no right on
--   the log; search_path pinned; enabled ALWAYS.
-- Everything lives in schema rollup_capture; `rollup capture drop` removes it whole.
CREATE SCHEMA rollup_capture;
COMMENT ON SCHEMA rollup_capture IS
    'pagila-rollup''s opt-in capture of deleted rentals (`rollup capture install` / `drop`).';

CREATE TABLE rollup_capture.installation (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation    bigint NOT NULL,
    installed_at  timestamptz NOT NULL DEFAULT now(),
    pruned_before timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO rollup_capture.installation (generation)
VALUES ((extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
COMMENT ON TABLE rollup_capture.installation IS
    'One row. generation changes on every install and every TRUNCATE of public.rental: a rollup trusts the '
    'log only under the generation it last checked. Log rows before pruned_before were pruned.';

CREATE TABLE rollup_capture.deleted_rental (
    rental_id  integer NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deleted_rental_deleted_at ON rollup_capture.deleted_rental (deleted_at);
COMMENT ON TABLE rollup_capture.deleted_rental IS
    'Rentals deleted from public.rental, stamped with the start of the deleting transaction (like last_update).';

CREATE FUNCTION rollup_capture.log_deleted_rental() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    INSERT INTO rollup_capture.deleted_rental (rental_id) SELECT rental_id FROM deleted_rows;
    RETURN NULL;
END
$function$;

CREATE FUNCTION rollup_capture.log_truncated_rental() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    UPDATE rollup_capture.installation SET generation = generation + 1;
    RETURN NULL;
END
$function$;

CREATE TRIGGER rollup_capture_deleted_rental
    AFTER DELETE ON public.rental REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_capture.log_deleted_rental();
CREATE TRIGGER rollup_capture_truncated_rental
    AFTER TRUNCATE ON public.rental
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_capture.log_truncated_rental();
-- ALWAYS: they fire in sessions with session_replication_role = replica too (replication and bulk
-- tools), which skip ordinary triggers, Pagila's last_update one included.
ALTER TABLE public.rental ENABLE ALWAYS TRIGGER rollup_capture_deleted_rental;
ALTER TABLE public.rental ENABLE ALWAYS TRIGGER rollup_capture_truncated_rental;
