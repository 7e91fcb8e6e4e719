-- Daytona schema, version 1: every table of the product.
--
-- Conventions: ids are UUIDv7 strings (time-ordered, so new rows append to
-- the end of each index instead of dirtying a random page per insert); times are UTC text 'YYYY-MM-DDTHH:MM:SS.sssZ'
-- (fixed width, so they sort as text); booking dates and times are the
-- customer's wall-clock values in the business time zone ('YYYY-MM-DD', 'HH:MM');
-- money is an integer number of whole currency units; booleans are 0/1.

-- Staff ----------------------------------------------------------------------

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'technician')),
    password_hash   TEXT NOT NULL,
    totp_secret     TEXT,
    -- Last accepted TOTP time step, so one code works only once.
    totp_last_step  INTEGER,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_login_at   TEXT
);

CREATE TABLE recovery_codes (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- Browser sessions and API bearer tokens. Only a SHA-256 of the secret is stored.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    csrf_token    TEXT NOT NULL,
    ip            TEXT,
    user_agent    TEXT,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- One-time links that let the first admin be created (SPEC §2, first run).
CREATE TABLE setup_tokens (
    token_hash  TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE login_attempts (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL COLLATE NOCASE,
    ip         TEXT NOT NULL,
    succeeded  INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    at         TEXT NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts(email, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

-- Vehicle stock ----------------------------------------------------------------

CREATE TABLE vehicles (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    make         TEXT NOT NULL COLLATE NOCASE,
    model        TEXT NOT NULL COLLATE NOCASE,
    year         INTEGER NOT NULL CHECK (year BETWEEN 1900 AND 2100),
    trim         TEXT NOT NULL DEFAULT '',
    condition    TEXT NOT NULL CHECK (condition IN ('used', 'new', 'refurbished')),
    -- NULL means "price on request".
    price        INTEGER CHECK (price IS NULL OR price >= 0),
    mileage      INTEGER CHECK (mileage IS NULL OR mileage >= 0),
    vin          TEXT NOT NULL DEFAULT '',
    reg_number   TEXT NOT NULL DEFAULT '',
    location     TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    -- JSON array of strings.
    features     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(features) AND json_type(features) = 'array'),
    status       TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'reserved', 'sold')),
    created_by   TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
-- One index per public filter and sort; status leads because every public list filters on it.
CREATE INDEX vehicles_status_created ON vehicles(status, created_at);
CREATE INDEX vehicles_make_model ON vehicles(make, model);
CREATE INDEX vehicles_year ON vehicles(year);
CREATE INDEX vehicles_price ON vehicles(price);
CREATE INDEX vehicles_mileage ON vehicles(mileage);
CREATE INDEX vehicles_condition ON vehicles(condition);

CREATE TABLE vehicle_images (
    id          TEXT PRIMARY KEY,
    vehicle_id  TEXT NOT NULL REFERENCES vehicles(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    alt_text    TEXT NOT NULL DEFAULT '',
    -- Paths relative to <data_dir>/uploads.
    large_path  TEXT NOT NULL,
    thumb_path  TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX vehicle_images_vehicle ON vehicle_images(vehicle_id, position);

-- One row per vehicle per business day, not one per hit.
CREATE TABLE vehicle_views (
    vehicle_id  TEXT NOT NULL REFERENCES vehicles(id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    views       INTEGER NOT NULL DEFAULT 0 CHECK (views >= 0),
    PRIMARY KEY (vehicle_id, day)
) WITHOUT ROWID;
CREATE INDEX vehicle_views_day ON vehicle_views(day);

-- Workshop bookings ------------------------------------------------------------

CREATE TABLE bookings (
    id              TEXT PRIMARY KEY,
    booking_ref     TEXT NOT NULL UNIQUE CHECK (booking_ref GLOB 'DAY-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9]*'),
    customer_name   TEXT NOT NULL,
    -- E.164, e.g. +265991234567.
    customer_phone  TEXT NOT NULL,
    customer_email  TEXT,
    vehicle_reg     TEXT,
    service_type    TEXT NOT NULL CHECK (service_type IN ('oil_change', 'full_service', 'tyre_alignment', 'suspension_check', 'brake_check', 'other')),
    preferred_date  TEXT NOT NULL CHECK (preferred_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    preferred_time  TEXT NOT NULL CHECK (preferred_time GLOB '[0-9][0-9]:[0-9][0-9]'),
    status          TEXT NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'confirmed', 'rescheduled', 'checked_in', 'in_progress', 'completed', 'cancelled')),
    notes           TEXT NOT NULL DEFAULT '',
    admin_note      TEXT NOT NULL DEFAULT '',
    sms_enabled     INTEGER NOT NULL DEFAULT 1 CHECK (sms_enabled IN (0, 1)),
    reminder_sent   INTEGER NOT NULL DEFAULT 0 CHECK (reminder_sent IN (0, 1)),
    anonymised_at   TEXT,
    -- A client-chosen key per request (the confirm form's hidden key, or the
    -- API's Idempotency-Key): a double tap or a retry on a flaky connection
    -- returns the first booking instead of creating a second one.
    request_key     TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
-- Slot capacity checks and the admin date filter. Customers find their booking
-- by ref (unique); the admin text search runs within the date-filtered rows.
CREATE INDEX bookings_slot ON bookings(preferred_date, preferred_time, status);
CREATE INDEX bookings_status_date ON bookings(status, preferred_date);
CREATE INDEX bookings_created ON bookings(created_at);
CREATE UNIQUE INDEX bookings_request_key ON bookings(request_key) WHERE request_key IS NOT NULL;
-- Reminder job: only confirmed/rescheduled bookings not yet reminded are in it.
CREATE INDEX bookings_reminder ON bookings(preferred_date, preferred_time)
    WHERE reminder_sent = 0 AND status IN ('confirmed', 'rescheduled');

-- The last booking_ref sequence number handed out per business day, so the
-- next ref is one indexed read however many bookings the day already has.
CREATE TABLE booking_ref_counters (
    day       TEXT PRIMARY KEY CHECK (day GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    last_seq  INTEGER NOT NULL CHECK (last_seq >= 1)
) WITHOUT ROWID;

CREATE TABLE booking_events (
    id             TEXT PRIMARY KEY,
    booking_id     TEXT NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
    from_status    TEXT CHECK (from_status IS NULL OR from_status IN ('requested', 'confirmed', 'rescheduled', 'checked_in', 'in_progress', 'completed', 'cancelled')),
    to_status      TEXT NOT NULL CHECK (to_status IN ('requested', 'confirmed', 'rescheduled', 'checked_in', 'in_progress', 'completed', 'cancelled')),
    -- The staff member who acted; NULL for the customer or the system.
    actor_user_id  TEXT REFERENCES users(id) ON DELETE SET NULL,
    actor_label    TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL
);
CREATE INDEX booking_events_booking ON booking_events(booking_id, created_at);

CREATE TABLE booking_attachments (
    id            TEXT PRIMARY KEY,
    booking_id    TEXT NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('image', 'pdf')),
    content_type  TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
    -- Path relative to <data_dir>/uploads.
    path          TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes > 0),
    created_at    TEXT NOT NULL
);
CREATE INDEX booking_attachments_booking ON booking_attachments(booking_id);

-- Leads ------------------------------------------------------------------------

CREATE TABLE leads (
    id              TEXT PRIMARY KEY,
    vehicle_id      TEXT REFERENCES vehicles(id) ON DELETE SET NULL,
    name            TEXT NOT NULL,
    phone           TEXT,
    email           TEXT,
    type            TEXT NOT NULL CHECK (type IN ('price_request', 'test_drive_request', 'general')),
    message         TEXT NOT NULL DEFAULT '',
    preferred_date  TEXT,
    status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'contacted', 'closed')),
    staff_note      TEXT NOT NULL DEFAULT '',
    -- When staff first marked it contacted: feeds "answered within 24 h".
    contacted_at    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK (phone IS NOT NULL OR email IS NOT NULL)
);
CREATE INDEX leads_status_created ON leads(status, created_at);
CREATE INDEX leads_created ON leads(created_at);
CREATE INDEX leads_vehicle ON leads(vehicle_id);
CREATE INDEX leads_type ON leads(type, created_at);

-- Outbox and audit -------------------------------------------------------------

CREATE TABLE notifications (
    id               TEXT PRIMARY KEY,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
    recipient        TEXT NOT NULL,
    -- Which message this is (booking_received, reminder, new_lead, test, ...).
    template         TEXT NOT NULL,
    -- JSON: {"subject": ..., "text": ..., "html": ...}.
    payload          TEXT NOT NULL CHECK (json_valid(payload)),
    status           TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT NOT NULL,
    error            TEXT,
    booking_id       TEXT REFERENCES bookings(id) ON DELETE SET NULL,
    lead_id          TEXT REFERENCES leads(id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
-- The worker's queue scan, and the admin log's filters.
CREATE INDEX notifications_queue ON notifications(status, next_attempt_at);
CREATE INDEX notifications_channel ON notifications(channel, status, created_at);
CREATE INDEX notifications_created ON notifications(created_at);
CREATE INDEX notifications_booking ON notifications(booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX notifications_lead ON notifications(lead_id) WHERE lead_id IS NOT NULL;

CREATE TABLE audit_logs (
    id             TEXT PRIMARY KEY,
    actor_user_id  TEXT REFERENCES users(id) ON DELETE SET NULL,
    actor_label    TEXT NOT NULL,
    action         TEXT NOT NULL,
    entity_type    TEXT NOT NULL,
    entity_id      TEXT,
    -- JSON: {"before": ..., "after": ...} with only the fields that changed.
    summary        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary)),
    ip             TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX audit_logs_created ON audit_logs(created_at);
CREATE INDEX audit_logs_entity ON audit_logs(entity_type, entity_id);
CREATE INDEX audit_logs_actor ON audit_logs(actor_user_id, created_at);
