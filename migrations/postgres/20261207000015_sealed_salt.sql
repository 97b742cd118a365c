-- Issue 16: tenants.erasure_salt (the key of the data subjects' hashes) is sealed with the master key like every other
-- secret, bound to the tenant (`crypto::erasure_salt_context`), as `v1.<kid>.<nonce>.<ciphertext>`. SQL holds no key,
-- so this migration changes no row: a salt stored in clear before this change is sealed in place by its first use or
-- by `clearance rotate-key` (compare-and-swap on the clear value, so the salt itself never changes: the recorded
-- hashes need it).
COMMENT ON COLUMN tenants.erasure_salt IS
    'sealed with the master key, bound to the tenant; a clear value predates sealing and is sealed on first use or by rotate-key';
