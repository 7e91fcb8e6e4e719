-- Free-text search over vehicle listings (the public `q` filter).
--
-- The index keeps its own copy of the text keyed by the vehicle's id rather
-- than pointing at `vehicles` rowids: those are not stable across VACUUM,
-- and the stock is small (hundreds of cars), so the copy costs little.
-- Triggers keep it in step with every insert, update and delete.

CREATE VIRTUAL TABLE vehicles_fts USING fts5(
    id UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER vehicles_fts_insert AFTER INSERT ON vehicles BEGIN
    INSERT INTO vehicles_fts (id, body) VALUES (
        new.id,
        concat_ws(' ', new.title, new.make, new.model, new.trim, new.location,
                  new.reg_number, new.description,
                  (SELECT group_concat(value, ' ') FROM json_each(new.features)))
    );
END;

CREATE TRIGGER vehicles_fts_update AFTER UPDATE ON vehicles BEGIN
    DELETE FROM vehicles_fts WHERE id = old.id;
    INSERT INTO vehicles_fts (id, body) VALUES (
        new.id,
        concat_ws(' ', new.title, new.make, new.model, new.trim, new.location,
                  new.reg_number, new.description,
                  (SELECT group_concat(value, ' ') FROM json_each(new.features)))
    );
END;

CREATE TRIGGER vehicles_fts_delete AFTER DELETE ON vehicles BEGIN
    DELETE FROM vehicles_fts WHERE id = old.id;
END;
