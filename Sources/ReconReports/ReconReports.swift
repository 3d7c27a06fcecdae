// ReconReports: XLSX and CSV primitives.
