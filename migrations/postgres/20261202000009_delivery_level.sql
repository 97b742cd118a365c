-- The deflate level a delivery's bundle is built at; NULL: the default. A CSV bundle over the site's upload limit is
-- built once more at the highest level before the request fails.
ALTER TABLE deliveries ADD COLUMN deflate_level BIGINT;
