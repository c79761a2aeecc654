import Foundation
import LeadImport
import LeadModel
import TestSupport
import Testing

// Issue 24, items 3 and 4: `export` writes CSV that `import` reads back to the same typed
// values, and a file that comes back compares its cells with what was exported.

/// Sample leads: a name with a comma, a quote and a line break; a string that reads as a
/// number; decimals, integers, booleans; a lead without some values.
private func sampleLeads() throws -> [Contact] {
    let json = [
        #"{"type":"contact","id":"a1","user_id":"u1","name":"O'Brien, \"Liam\"\nthe second","email":"obrien@truth.org","updated_at":1480068674,"last_request_at":1477660267,"unsubscribed_from_emails":true,"#
            + #""custom_attributes":{"zip":"01234","spend":155.5,"seats":9,"vip":true,"even":2.0,"mixed":"9","plan":"pro"}}"#,
        #"{"type":"contact","id":"a2","user_id":"u2","name":"Julia","email":"julia@ministry.example","updated_at":1480068675,"#
            + #""custom_attributes":{"zip":"98275","spend":1.5,"seats":1,"vip":false,"even":0.0,"mixed":3,"plan":"=1+2"}}"#,
        #"{"type":"contact","id":"a3","name":null,"email":"syme@newspeak.example","updated_at":1480068676,"custom_attributes":{}}"#,
    ]
    return try json.map { try Contact(json: $0) }
}

/// Exports `leads` to `dir/leads.csv`: the file's path and the record the journal would keep.
private func export(
    _ leads: [Contact], to dir: TempDirectory, columns: [String] = [], dialect: Dialect = .v1, exportID: String = "00c0ffee00c0ffee"
) throws -> (path: String, record: ExportRecord, file: CSVExport) {
    let path = dir.file("leads.csv")
    let file = try CSVExport(leads: leads, requested: columns, dialect: dialect, catalog: nil, exportID: exportID)
    try file.write(to: path)
    try file.publish()
    let record = ExportRecord(exportID: exportID, createdAt: 1_800_000_000, path: path, columns: file.keys, leads: file.exported)
    return (path, record, file)
}

/// Every item of a file read as an import reads it, with the export known (or not).
private func importItems(_ path: String, record: ExportRecord?, dialect: Dialect = .v1) throws -> [ImportItem] {
    let file = try CSVImport(
        path: path, displayName: "leads.csv", dialect: dialect, catalog: nil, now: now,
        exports: { id in
            id == record?.exportID ? record : nil
        })
    var all: [ImportItem] = []
    while let next = try file.nextBatch(max: 100) { all += next }
    return all
}

private func text(_ path: String) -> String { contents(of: path) ?? "" }

@Suite("export: CSV that imports back unchanged")
struct ExportTests {
    @Test("the header names the export, the dialect's external id and the typed columns; cells are RFC 4180")
    func header() throws {
        let dir = TempDirectory()
        let (path, _, _) = try export(try sampleLeads(), to: dir)
        let lines = text(path).components(separatedBy: "\r\n")
        #expect(
            lines[0]
                == "id@00c0ffee00c0ffee,user_id,name,email,custom_attributes.even:decimal,custom_attributes.mixed,custom_attributes.plan,custom_attributes.seats:integer,custom_attributes.spend:decimal,custom_attributes.vip:boolean,custom_attributes.zip:string"
        )
        // A quote doubled, the comma and the line break inside one quoted cell; a string that
        // reads as a number in a column of mixed types keeps its quotes.
        #expect(text(path).contains("a1,u1,\"O'Brien, \"\"Liam\"\"\nthe second\",obrien@truth.org,2.0,\"\"\"9\"\"\",pro,9,155.5,true,01234"), "\(text(path))")
        #expect(lines.contains("a3,,,syme@newspeak.example,,,,,,,"), "no value, no text: \(text(path))")
        #expect(text(path).hasSuffix("\r\n"))

        let v2 = try CSVExport(leads: try sampleLeads(), requested: ["name", "last_seen_at"], dialect: .v2, catalog: nil, exportID: "ab")
        #expect(v2.header == ["id@ab", "external_id", "name", "last_seen_at"])
        let v1 = try CSVExport(
            leads: try sampleLeads(), requested: ["name", "last_request_at", "unsubscribed_from_emails"], dialect: .v1, catalog: nil, exportID: "ab")
        try v1.write(to: dir.file("times.csv"))
        try v1.publish()
        #expect(
            text(dir.file("times.csv")).contains("a1,u1,\"O'Brien, \"\"Liam\"\"\nthe second\",2016-10-28T13:11:07Z,true"),
            "times as ISO 8601 UTC: \(text(dir.file("times.csv")))")
    }

    @Test("a column an import would refuse is refused before anything is written")
    func refusedColumns() throws {
        let dir = TempDirectory()
        #expect(throws: ImportHeaderError.self) { _ = try export(try sampleLeads(), to: dir, columns: ["created_at"]) }
        #expect(throws: ImportHeaderError.self) { _ = try export(try sampleLeads(), to: dir, columns: ["plan"]) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("leads.csv")))
        // The identifiers are always written; naming them again is not a second column.
        let file = try CSVExport(leads: try sampleLeads(), requested: ["id", "user_id", "name"], dialect: .v1, catalog: nil, exportID: "ab")
        #expect(file.header == ["id@ab", "user_id", "name"])
    }

    @Test("the file is created 0600, even under umask 0 and over a file readable by all")
    func privateFile() throws {
        let dir = TempDirectory()
        let path = dir.write("leads.csv", "old")
        chmod(path, 0o644)
        let old = umask(0)
        defer { umask(old) }
        _ = try export(try sampleLeads(), to: dir)
        #expect(permissions(of: path) == 0o600)
        #expect(text(path).hasPrefix("id@"))
        #expect(dir.names() == ["leads.csv"], "no temporary file left: \(dir.names())")
    }

    @Test("importing the file unchanged changes nothing")
    func unchangedRoundTrip() throws {
        let dir = TempDirectory()
        let (path, record, _) = try export(try sampleLeads(), to: dir)
        let found = try importItems(path, record: record)
        #expect(found.count == 3)
        #expect(rows(found).isEmpty, "\(rows(found).map(\.changes))")
        #expect(problems(found).isEmpty, "\(problems(found))")
    }

    @Test(
        "a spreadsheet's rewrite changes nothing: TRUE, 1.50, 2 for 2.0, a byte order mark, CRLF or LF rows, quotes where none were needed",
        arguments: [false, true])
    func spreadsheetVariants(lineFeeds: Bool) throws {
        let dir = TempDirectory()
        let (path, record, _) = try export(try sampleLeads(), to: dir)
        let header =
            "id@00c0ffee00c0ffee,user_id,name,email,custom_attributes.even:decimal,custom_attributes.mixed,custom_attributes.plan,custom_attributes.seats:integer,custom_attributes.spend:decimal,custom_attributes.vip:boolean,custom_attributes.zip:string"
        let newline = lineFeeds ? "\n" : "\r\n"
        let rewritten =
            [
                header,
                "\"a1\",\"u1\",\"O'Brien, \"\"Liam\"\"\nthe second\",obrien@truth.org,2,\"\"\"9\"\"\",\"pro\",9,155.50,TRUE,01234",
                "a2,u2,Julia,julia@ministry.example,0,3,=1+2,1,1.50,FALSE,98275",
                "a3,,,syme@newspeak.example,,,,,,,",
            ].joined(separator: newline) + newline
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        bytes += Array(rewritten.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let found = try importItems(path, record: record)
        #expect(problems(found).isEmpty, "\(problems(found))")
        #expect(rows(found).isEmpty, "nothing changed: \(rows(found).map(\.changes))")
        #expect(found.count == 3)
    }

    @Test("a changed cell is an edit based on its exported value; an emptied one clears; an added row imports as any row")
    func changedCells() throws {
        let dir = TempDirectory()
        let (path, record, _) = try export(try sampleLeads(), to: dir, columns: ["name", "custom_attributes.plan", "custom_attributes.vip"])
        #expect(text(path).hasPrefix("id@00c0ffee00c0ffee,user_id,name,custom_attributes.plan,custom_attributes.vip:boolean\r\n"))
        try Data(
            """
            id@00c0ffee00c0ffee,user_id,name,custom_attributes.plan,custom_attributes.vip:boolean
            a1,u1,Liam,pro,TRUE
            a2,u2,Julia,,false
            a3,,Syme,,
            a9,,,gold,
            a10,,Added,,

            """.utf8
        ).write(to: URL(fileURLWithPath: path))
        let found = rows(try importItems(path, record: record))
        #expect(found.map { $0.lead.id } == ["a1", "a2", "a3", "a9", "a10"])
        let byID = Dictionary(uniqueKeysWithValues: found.map { ($0.lead.id!, $0) })
        // a1: only the name changed; its base is the exported name.
        #expect(byID["a1"]?.changes == FieldChanges([(.standard("name"), "Liam")]))
        #expect(byID["a1"]?.base?.values == FieldChanges([(.standard("name"), .string("O'Brien, \"Liam\"\nthe second"))]))
        #expect(byID["a1"]?.base?.updatedAt == 1_480_068_674)
        #expect(byID["a1"]?.base?.exportedAt == 1_800_000_000)
        // a2: the plan was emptied: cleared, based on "=1+2".
        #expect(byID["a2"]?.changes == FieldChanges([(.custom("plan"), .null)]))
        #expect(byID["a2"]?.base?.values == FieldChanges([(.custom("plan"), "=1+2")]))
        // a3 had no name: the new one's base is "no value".
        #expect(byID["a3"]?.changes == FieldChanges([(.standard("name"), "Syme")]))
        #expect(byID["a3"]?.base?.values == FieldChanges([(.standard("name"), .null)]))
        // Rows added by hand: ordinary rows, no exported base, empty cells change nothing.
        #expect(byID["a9"]?.changes == FieldChanges([(.custom("plan"), "gold")]))
        #expect(byID["a9"]?.base == nil)
        #expect(byID["a10"]?.changes == FieldChanges([(.standard("name"), "Added")]))
        #expect(byID["a10"]?.importedUpdate.base == nil)
        #expect(byID["a1"]?.importedUpdate.base == byID["a1"]?.base, "the journal gets the base")
    }

    @Test("a column added by hand reads as in any file; the same file without its export's id is an ordinary import")
    func addedColumnAndPlainFile() throws {
        let dir = TempDirectory()
        let (path, record, _) = try export(try sampleLeads(), to: dir, columns: ["name"])
        try Data("id@00c0ffee00c0ffee,user_id,name,phone\na1,u1,,\na2,u2,Julia,555\n".utf8).write(to: URL(fileURLWithPath: path))
        let found = rows(try importItems(path, record: record))
        #expect(found.map { $0.changes } == [FieldChanges([(.standard("name"), .null)]), FieldChanges([(.standard("phone"), "555")])])
        #expect(found.last?.base == nil, "phone was not exported: its base is the cache's")

        // Renamed to `id`: the file is an ordinary one, where an empty cell changes nothing.
        try Data("id,user_id,name\na1,u1,\na2,u2,Julia\n".utf8).write(to: URL(fileURLWithPath: path))
        let plain = try importItems(path, record: record)
        #expect(rows(plain).map { $0.changes } == [FieldChanges([(.standard("name"), "Julia")])])
    }

    @Test("a file whose export this journal did not write is refused at line 1, saying what to do")
    func unknownExport() throws {
        let dir = TempDirectory()
        let (path, _, _) = try export(try sampleLeads(), to: dir)
        #expect {
            _ = try importItems(path, record: nil)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("leads.csv:1:") && text.contains("00c0ffee00c0ffee") && text.contains("rename the column to id")
        }
    }

    @Test("a :boolean column and a boolean field take true and false in any case, in any file")
    func booleansInAnyCase() throws {
        let dir = TempDirectory()
        let path = dir.write("b.csv", "id,custom_attributes.vip:boolean,unsubscribed_from_emails\na1,TRUE,False\n")
        let found = rows(try items(path))
        #expect(found.first?.changes == FieldChanges([(.custom("vip"), true), (.standard("unsubscribed_from_emails"), false)]))
    }
}
