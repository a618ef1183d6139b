-- The loaded eutf_rsr deliveries (macro feed_deliveries): what eutf_rsr's staging models read.
{{ feed_deliveries('eutf_rsr') }}
