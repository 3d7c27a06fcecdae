-- mpesa-recon schema, version 14: one-time banners stored with the console session.

-- The console's banners come from a message the server stored with the session (post/redirect/get), never from
-- the query string: a link's `?notice=` or `?error=` text can no longer appear as the console's own words.
ALTER TABLE console_sessions
    ADD COLUMN flash_notice text,
    ADD COLUMN flash_error  text;
