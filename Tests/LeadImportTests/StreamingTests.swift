import Foundation
import LeadImport
import LeadModel
import TestSupport
import Testing

@Suite("CSV import: lines, op ids, streaming")
struct ImportStreamingTests {
    @Test("each row names the physical line it starts on, across quoted line breaks, CRLF and blank lines")
    func lineNumbers() throws {
        let dir = TempDirectory()
        let text =
            "id,\"custom_attributes.note\"\r\n"
            + "e1,one\r\n"
            + "e2,\"two\r\nlines\"\r\n"
            + "\r\n"
            + "e3,\"three\nlines\nhere\"\n"
            + "e4,\"cr\ronly\"\n"
            + "e5,\"\"\n"
            + "e6,last"
        let all = try items(dir.write("l.csv", text))
        #expect(all.map(\.line) == [2, 3, 6, 9, 11, 12])
        let found = rows(all)
        #expect(found.map(\.line) == [2, 3, 6, 9, 12])
        #expect(found[1].changes[.custom("note")] == .string("two\r\nlines"), "line breaks inside quotes are kept")
        #expect(found.map(\.row) == [1, 2, 4, 5, 7], "blank lines keep their row numbers, so op ids stay fixed")
        #expect(all[4] == .unchanged(line: 11, row: 6))
    }

    @Test("a quoted header cell, an id cell spanning lines; a UTF-8 byte order mark is skipped")
    func headerAndBOM() throws {
        let dir = TempDirectory()
        let path = dir.write("b.csv", [0xEF, 0xBB, 0xBF] + Array("id,\"name\"\n\"x\ny\",Ann\n".utf8))
        let all = try items(path)
        #expect(problems(all) == ["leads.csv:2: id: \"x<U+000A>y\" cannot name a lead: it contains U+000A"])
        let bom = try items(dir.write("bom.csv", [0xEF, 0xBB, 0xBF] + Array("id,name\nz1,Zed\n".utf8)))
        #expect(rows(bom).first?.lead.id == "z1", "the BOM is not part of the first column's name")
    }

    @Test("op ids derive from the file's content and the row: the same bytes give the same ids, a change gives new ones")
    func opIDs() throws {
        let dir = TempDirectory()
        let text = "id,name\nf1,A\nf2,B\n"
        let first = rows(try items(dir.write("1.csv", text)))
        let again = rows(try items(dir.write("copy.csv", text)))
        let changed = rows(try items(dir.write("2.csv", text + "f3,C\n")))
        #expect(first.map(\.opID) == again.map(\.opID))
        let file = try CSVImport(path: dir.file("1.csv"), dialect: .v1, catalog: nil, now: now)
        #expect(file.contentHash.count == 64)
        let prefix = "import:\(file.contentHash.prefix(16)):"
        #expect(first.map(\.opID) == [prefix + "000000001", prefix + "000000002"], "row numbers padded, so they sort in row order")
        #expect(first.map(\.importedUpdate.aliases) == [[prefix + "1"], [prefix + "2"]], "the ids an earlier leadsh gave the rows")
        #expect(Set(first.map(\.opID)).isDisjoint(with: changed.map(\.opID)))
        #expect(first[0].importedUpdate.update == first[0].update)
    }

    @Test("bytes that are not UTF-8 stop the import at their line, after the rows before it")
    func notUTF8() throws {
        let dir = TempDirectory()
        let path = dir.write("x.csv", Array("id,name\ng1,A\ng2,".utf8) + [0xFF, 0xFE] + Array("B\ng3,C\n".utf8))
        let file = try CSVImport(path: path, displayName: "leads.csv", dialect: .v1, catalog: nil, now: now)
        #expect(try file.next()?.line == 2)
        #expect(throws: ImportProblem(file: "leads.csv", line: 3, message: "the file is not UTF-8 text from here on; save it as UTF-8 CSV")) {
            _ = try file.next()
        }
    }

    @Test("a file of 20,000 rows comes out in batches of at most 500, every row once and in order")
    func batches() throws {
        let dir = TempDirectory()
        var text = "id,name,custom_attributes.n\n"
        for i in 1...20_000 { text += "lead\(i),\"Name, \(i)\",\(i)\n" }
        let path = dir.write("big.csv", text)
        let file = try CSVImport(path: path, dialect: .v1, catalog: nil, now: now)
        var sizes: [Int] = []
        var expected = 1
        while let batch = try file.nextBatch(max: 500) {
            sizes.append(batch.count)
            for item in batch {
                guard case .row(let row) = item else {
                    Issue.record("unexpected \(item)")
                    continue
                }
                #expect(row.row == expected && row.line == expected + 1)
                #expect(row.changes[.custom("n")] == .integer(Int64(expected)))
                expected += 1
            }
        }
        #expect(sizes.count == 40 && sizes.allSatisfy { $0 == 500 })
        #expect(expected == 20_001)
        #expect(try file.nextBatch() == nil)
    }
}
