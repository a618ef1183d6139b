-- The loaded kobo deliveries (macro feed_deliveries): what kobo's staging models read.
{{ feed_deliveries('kobo') }}
