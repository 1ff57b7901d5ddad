-- Generator step 1: an empty database shaped like Pagila where the pipeline reads it (rental,
-- inventory, store, film, film_category, category, customer), without Pagila's foreign keys:
-- they would make the bulk load check every row. The generator's own tables live in schema
-- `synthetic`: its settings, and the plan it draws the rentals from, kept so the data can be
-- explained (and regenerated from the same seed).
-- The generator's expressions are long: JIT would spend seconds compiling them for rows that take
-- microseconds each, so it is off for the generator's transaction.
SET LOCAL jit = off;

CREATE SCHEMA synthetic;

CREATE TABLE synthetic.settings (
    rentals      bigint      NOT NULL,
    seed         bigint      NOT NULL,
    weeks        integer     NOT NULL,
    history_end  date        NOT NULL,
    stores       integer     NOT NULL,
    customers    integer     NOT NULL,
    -- --dirty: the history also has copies rented while out and rentals never returned (step 7)
    dirty        boolean     NOT NULL DEFAULT false,
    generated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE synthetic.settings IS 'The arguments of `rollup generate` that produced this database.';

-- A uniform number in [0, 1) that depends only on the seed, a stream number (one per random
-- choice) and a key: unlike random(), the same whatever the plan or the number of workers.
CREATE FUNCTION synthetic.uniform(seed bigint, stream integer, key bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (hashint8extended(key, seed * 1024 + stream) & 4503599627370495)::double precision
           / 4503599627370496.0;

-- Pagila's trigger: every update stamps last_update with the writing transaction's start.
CREATE FUNCTION public.last_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.last_update = CURRENT_TIMESTAMP;
    RETURN NEW;
END
$$;

CREATE TABLE public.category (
    category_id integer PRIMARY KEY,
    name        text NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.film (
    film_id          integer PRIMARY KEY,
    title            text NOT NULL,
    description      text,
    release_year     integer,
    language_id      integer NOT NULL,
    rental_duration  smallint NOT NULL,
    rental_rate      numeric(4,2) NOT NULL,
    length           smallint,
    replacement_cost numeric(5,2) NOT NULL,
    rating           text,
    last_update      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.film_category (
    film_id     integer NOT NULL,
    category_id integer NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (film_id, category_id)
);

CREATE TABLE public.store (
    store_id         integer PRIMARY KEY,
    manager_staff_id integer NOT NULL,
    address_id       integer NOT NULL,
    last_update      timestamptz NOT NULL DEFAULT now()
);

-- Pagila's customers, copied as they are; the generated customers borrow their names.
CREATE TABLE synthetic.pagila_customer (
    customer_id integer PRIMARY KEY,
    first_name  text NOT NULL,
    last_name   text NOT NULL
);

CREATE TABLE public.customer (
    customer_id integer PRIMARY KEY,
    store_id    integer NOT NULL,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    email       text,
    address_id  integer NOT NULL,
    activebool  boolean NOT NULL DEFAULT true,
    create_date date NOT NULL DEFAULT CURRENT_DATE,
    last_update timestamptz DEFAULT now(),
    active      integer
);

CREATE TABLE public.inventory (
    inventory_id serial PRIMARY KEY,
    film_id      integer NOT NULL,
    store_id     integer NOT NULL,
    last_update  timestamptz NOT NULL DEFAULT now()
);

-- Indexes come after the load (step 8), as in a restore.
CREATE TABLE public.rental (
    rental_id    serial,
    rental_date  timestamptz NOT NULL,
    inventory_id integer NOT NULL,
    customer_id  integer NOT NULL,
    return_date  timestamptz,
    staff_id     integer NOT NULL,
    last_update  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER last_updated BEFORE UPDATE ON public.rental FOR EACH ROW EXECUTE FUNCTION public.last_updated();
CREATE TRIGGER last_updated BEFORE UPDATE ON public.inventory FOR EACH ROW EXECUTE FUNCTION public.last_updated();

-- One row per `rollup generate --churn` applied, newest last.
CREATE TABLE synthetic.churn (
    churn_id           serial PRIMARY KEY,
    percent            double precision NOT NULL,
    week_beginning     date NOT NULL,
    rented             integer,
    returned           integer,
    corrected          integer,
    deleted            integer,
    -- on a --dirty database, returns of rentals open for over a year (not counted in `returned`);
    -- null on a clean one
    returned_long_open integer,
    applied_at         timestamptz NOT NULL DEFAULT now()
);
