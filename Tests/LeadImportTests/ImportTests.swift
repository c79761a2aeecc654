import Foundation
import LeadImport
import LeadModel
import TestSupport
import Testing

let obrien = "5811f6bbe6b4704ddfa84ac0"
let now: Int64 = 1_800_000_000

/// Every item of a file, read in batches of `batch`.
func items(_ path: String, dialect: Dialect = .v1, catalog: AttributeCatalog? = nil, batch: Int = 500) throws -> [ImportItem] {
    let file = try CSVImport(path: path, displayName: "leads.csv", dialect: dialect, catalog: catalog, now: now)
    var all: [ImportItem] = []
    while let next = try file.nextBatch(max: batch) { all += next }
    return all
}

func rows(_ items: [ImportItem]) -> [ImportRow] {
    items.compactMap { if case .row(let row) = $0 { row } else { nil } }
}

func problems(_ items: [ImportItem]) -> [String] {
    items.compactMap { if case .refused(let problem) = $0 { problem.description } else { nil } }
}

/// The header's problem, as `FILE:1: message`.
func headerProblem(_ header: String, dialect: Dialect = .v1, catalog: AttributeCatalog? = nil) -> String {
    let dir = TempDirectory()
    let path = dir.write("h.csv", header + "\n\(obrien),x\n")
    do {
        _ = try CSVImport(path: path, displayName: "leads.csv", dialect: dialect, catalog: catalog, now: now)
        return "accepted"
    } catch {
        return error.description
    }
}

@Suite("CSV import: cells")
struct ImportCellTests {
    @Test("custom attributes read the whole cell by attr's rules; 9 and 9.0 stay distinct")
    func attributeLiterals() throws {
        let dir = TempDirectory()
        let path = dir.write(
            "a.csv",
            """
            id,custom_attributes.v
            a1,9
            a2,9.0
            a3,true
            a4,null
            a5,\"\"\"9\"\"\"
            a6,hello world
            a7,007
            a8,"1,5"
            a9,"\"\"{x}\"\""
            a10,True

            """)
        let found = try rows(try items(path))
        let values = Dictionary(uniqueKeysWithValues: found.map { ($0.lead.id!, $0.changes[.custom("v")]!) })
        #expect(values["a1"] == .integer(9))
        #expect(values["a2"] == .double(9.0))
        #expect(JSONText.serialize(values["a2"]!) == "9.0", "the decimal stays 9.0 all the way to JSON")
        #expect(values["a3"] == .bool(true))
        #expect(values["a4"] == .null)
        #expect(values["a5"] == .string("9"), "a cell wrapped in double quotes is the string inside")
        #expect(values["a6"] == .string("hello world"), "one value, never split into words")
        #expect(values["a7"] == .string("007"))
        #expect(values["a8"] == .string("1,5"))
        #expect(values["a9"] == .string("{x}"), "quoted, a brace is ordinary text")
        #expect(values["a10"] == .string("True"))
    }

    @Test("standard fields take the cell as their own type; times read ISO 8601; empty cells change nothing")
    func standardFields() throws {
        let dir = TempDirectory()
        let path = dir.write(
            "s.csv",
            """
            id,name,last_request_at,unsubscribed_from_emails,custom_attributes.plan
            \(obrien),9,2026-12-01T10:00:00+02:00,true,
            b2,,now,,gold
            b3,,,,

            """)
        let all = try items(path)
        let found = rows(all)
        #expect(found.count == 2)
        #expect(
            found[0].changes
                == FieldChanges([
                    (.standard("name"), "9"), (.standard("last_request_at"), .integer(1_796_112_000)),
                    (.standard("unsubscribed_from_emails"), true),
                ]))
        #expect(found[1].changes == FieldChanges([(.standard("last_request_at"), .integer(now)), (.custom("plan"), "gold")]))
        #expect(all.last == .unchanged(line: 4, row: 3), "a row that changes nothing is neither journaled nor refused")
    }

    @Test("forced types: :string, :integer, :decimal, :boolean")
    func forcedTypes() throws {
        let dir = TempDirectory()
        let path = dir.write(
            "f.csv",
            """
            id,zip:string,seats:integer,custom_attributes.spend:decimal,custom_attributes.vip:boolean
            c1,02134,7,9,true
            c2,"\"\"9\"\"",null,null,null

            """.replacingOccurrences(of: "zip:string,seats:integer", with: "custom_attributes.zip:string,custom_attributes.seats:integer"))
        let found = rows(try items(path))
        #expect(
            found[0].changes
                == FieldChanges([
                    (.custom("zip"), "02134"), (.custom("seats"), 7), (.custom("spend"), .double(9)), (.custom("vip"), true),
                ]))
        #expect(JSONText.serialize(found[0].changes[.custom("spend")]!) == "9.0")
        #expect(found[1].changes[.custom("zip")] == .string("\"9\""), ":string keeps the cell as it is")
        #expect(found[1].changes[.custom("seats")] == .null)
    }

    @Test("bad rows are refused as FILE:LINE, naming the column and the fix; good rows around them still come")
    func refusedRows() throws {
        let dir = TempDirectory()
        let path = dir.write(
            "bad.csv",
            """
            id,user_id,last_request_at,custom_attributes.n:integer,custom_attributes.x
            d1,,yesterday,,
            ,,,5,
            d3,,,five,
            d4 x,,,,1
            d5,,,,{"a":1}
            d6,,,1
            d7,,,,ok

            """)
        let all = try items(path)
        #expect(
            problems(all) == [
                "leads.csv:2: last_request_at takes a time: \"yesterday\" is not a time: use \(TimeValue.acceptedForms)",
                "leads.csv:3: the row names no lead: its id and user_id cells are empty",
                "leads.csv:4: custom_attributes.n is an :integer column, and \"five\" is not a whole number",
                "leads.csv:5: id: \"d4 x\" cannot name a lead: it contains U+0020",
                "leads.csv:6: custom_attributes.x: \"{\"a\":1}\" is a nested value: nested values are not accepted by Intercom; quote it to send it as text",
                "leads.csv:7: the row has 4 cells and the header 5 columns (a missing comma, or a quote left open?)",
            ])
        #expect(rows(all).map(\.lead.id) == ["d7"])
    }

    @Test("under 2.x, values are checked against the workspace's attribute types")
    func catalogTypes() throws {
        let catalog = AttributeCatalog(attributes: [DataAttribute(name: "seats", dataType: "integer")], fetchedAt: 0)
        let dir = TempDirectory()
        let path = dir.write("v2.csv", "external_id,custom_attributes.seats\nu1,3\nu2,three\n")
        let all = try items(path, dialect: .v2, catalog: catalog)
        #expect(rows(all).first?.lead == LeadReference(userID: "u1"), "named by external_id only: the replay finds its id")
        #expect(problems(all) == ["leads.csv:3: seats is an integer attribute, and \"three\" is a string"])
    }
}

@Suite("CSV import: header")
struct ImportHeaderTests {
    @Test("header problems are FILE:1 and name the column and what to do")
    func problems() {
        #expect(
            headerProblem("name,email")
                == "leads.csv:1: the header has no id or user_id column: add one so each row names the lead it updates (Intercom cannot identify a lead for update by email)"
        )
        #expect(headerProblem("id,name", dialect: .v2) == "accepted")
        #expect(headerProblem("email,name", dialect: .v2).contains("no id or external_id column"))
        #expect(
            headerProblem("id,nmae")
                == "leads.csv:1: column \"nmae\" is not a standard field of 1.x; did you mean name? name a custom attribute as custom_attributes.nmae")
        #expect(headerProblem("id,plan") == "leads.csv:1: column \"plan\" is not a standard field of 1.x; name a custom attribute as custom_attributes.plan")
        #expect(headerProblem("id,created_at") == "leads.csv:1: column \"created_at\": created_at is read-only: Intercom sets it when the lead is created")
        #expect(
            headerProblem("id,last_request_at", dialect: .v2)
                == "leads.csv:1: column \"last_request_at\": last_request_at is a 1.x field; in 2.x use last_seen_at")
        #expect(
            headerProblem("id,custom_attributes.zip:text")
                == "leads.csv:1: column \"custom_attributes.zip:text\": unknown type suffix \":text\"; use :string, :integer, :decimal or :boolean")
        #expect(headerProblem("id,name:integer").contains("name is a standard field that takes text; drop the :integer suffix"))
        #expect(headerProblem("id,,name").contains("column 2 has no name"))
        #expect(headerProblem("id,name,name") == "leads.csv:1: columns 2 and 3 both set name; keep one of them")
        #expect(headerProblem("id,user_id") == "leads.csv:1: the header names no field to change: add columns such as name, custom_attributes.NAME or tags")
        #expect(headerProblem("id,custom_attributes.a b").contains("' ' is not allowed"))
    }

    @Test("under 2.x a custom attribute column must exist in the workspace")
    func catalogColumns() {
        let catalog = AttributeCatalog(
            attributes: [DataAttribute(name: "monthly_spend", dataType: "float"), DataAttribute(name: "gone", dataType: "string", archived: true)],
            fetchedAt: 0)
        #expect(headerProblem("id,custom_attributes.monthly_spend", dialect: .v2, catalog: catalog) == "accepted")
        #expect(
            headerProblem("id,custom_attributes.monthly_spnd", dialect: .v2, catalog: catalog).contains(
                "the workspace has no custom attribute monthly_spnd; did you mean `monthly_spend`?"))
        #expect(headerProblem("id,custom_attributes.gone", dialect: .v2, catalog: catalog).contains("is archived"))
        #expect(headerProblem("id,custom_attributes.anything", dialect: .v1, catalog: catalog) == "accepted", "1.x creates attributes on first use")
    }

    @Test("an empty file, a missing file")
    func unreadable() {
        let dir = TempDirectory()
        #expect(throws: ImportProblem(file: "leads.csv", line: 1, message: "the file is empty; it needs a header line naming the columns")) {
            _ = try CSVImport(path: dir.write("e.csv", ""), displayName: "leads.csv", dialect: .v1, catalog: nil, now: now)
        }
        #expect(throws: ImportProblem(file: "leads.csv", line: 1, message: "no such file")) {
            _ = try CSVImport(path: dir.file("missing.csv"), displayName: "leads.csv", dialect: .v1, catalog: nil, now: now)
        }
    }
}
