public import LeadModel

/// A file `export` wrote, coming back through `import`: what each of its cells held, by lead,
/// as the journal recorded it (``ExportRecord``).
public struct ExportedFile: Sendable {
    public let exportID: String
    /// When the export was written (Unix seconds).
    public let exportedAt: Double
    private let columns: Set<String>
    private let leads: [String: ExportedLead]

    public init(_ record: ExportRecord) {
        exportID = record.exportID
        exportedAt = record.createdAt
        columns = Set(record.columns)
        leads = Dictionary(record.leads.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The lead as the export wrote it, or nil for a lead it did not write (a row added by hand).
    public func lead(id: String) -> ExportedLead? { leads[id] }

    /// Whether the export wrote the column with this key (`name`, `custom_attributes.plan`).
    public func wrote(_ key: String) -> Bool { columns.contains(key) }
}
