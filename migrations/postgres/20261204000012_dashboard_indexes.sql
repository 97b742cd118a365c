-- The dashboard reads one tenant's requests picked up since a date, and its deliveries attached since a date.
CREATE INDEX requests_tenant_created ON requests (tenant_id, created_at);
CREATE INDEX deliveries_tenant_uploaded ON deliveries (tenant_id, uploaded_at);
