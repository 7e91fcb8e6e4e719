-- Audit entries name the actor by id and e-mail as well as by name: two
-- staff can share a name, and names change (issue 10).
ALTER TABLE audit_logs ADD COLUMN actor_email TEXT NOT NULL DEFAULT '';
UPDATE audit_logs
   SET actor_email = COALESCE((SELECT email FROM users WHERE users.id = audit_logs.actor_user_id), '');
