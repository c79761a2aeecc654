import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

/// `edit`: the loaded lead in `$EDITOR`, driven in process on a (scripted) terminal with
/// `EDITOR` set to small shell scripts that play the user.
@Suite("edit opens the lead in $EDITOR")
struct EditTests {
    /// An executable `sh` script in `folder`, named `name`: the editor, given the file as its last argument.
    static func editor(_ folder: TempDirectory, _ name: String, _ body: String) -> String {
        let path = folder.write(name, "#!/bin/sh\n" + body + "\n")
        chmod(path, 0o755)
        return path
    }

    static func shell(_ rig: Rig, _ lines: [String], editor: String, extra: [String: String] = [:]) async -> (
        result: ProcessResult, history: [String]
    ) {
        let (result, source) = await InteractiveInProcessTests.shell(
            lines, arguments: rig.args, environment: rig.env.merging(["EDITOR": editor].merging(extra) { $1 }) { $1 })
        return (result, source.history)
    }

    @Test("a saved change becomes the edits `set`/`attr`/`unset` would make: typed as typed, shown by diff, sent by push", arguments: apiVersions)
    func savedChangesAreEdits(version: String) async throws {
        try await withRig(version: version) { rig in
            let seen = rig.home.file("seen.txt")
            let editor = Self.editor(
                rig.home, "editor.sh",
                """
                cp "$1" '\(seen)'
                sed -i -e 's/^name = .*/name = "Liam O'"'"'Brien"/' -e 's/^team_mates = .*/team_mates = 12/' -e 's/^phone = .*/phone =/' "$1"
                printf 'code = "9"\\n' >> "$1"
                """)
            let (result, history) = await Self.shell(
                rig, ["load \(obrien)", "edit", "diff", "push", "history --as-script", "quit"], editor: editor)
            #expect(result.status == 0, "\(result.stderr)")

            // The file: one NAME = VALUE line per field, its type in a comment.
            let file = try #require(contents(of: seen))
            #expect(file.contains("\nname = OBrien "), "\(file)")
            #expect(file.range(of: #"\nteam_mates = 9 +# integer\n"#, options: .regularExpression) != nil, "\(file)")
            #expect(file.contains("\nmonthly_spend = 155.5 "), "\(file)")
            if rig.isV2 {
                #expect(
                    file.range(of: #"\navatar = +# text; currently \{"type":"avatar""#, options: .regularExpression) != nil,
                    "a nested value starts empty, shown in the comment: \(file)")
            }

            // Each changed line ran as the command it stands for, as if typed.
            let typed = [#"set name "Liam O'Brien""#, "unset phone", "attr team_mates 12", "attr code '9'"]
            for line in typed {
                #expect(history.contains(line), "history: \(history)")
                #expect(result.stdout.contains("\n" + line + "\n"), "history --as-script: \(result.stdout)")
            }
            #expect(result.stdout.contains("Liam O'Brien"), "diff shows the edit: \(result.stdout)")
            #expect(result.stderr.contains("edit: 4 edits pending"), "\(result.stderr)")

            // Sent typed: the integer stays an integer, the quoted "9" a string.
            let post = try #require(rig.posts.first)
            #expect(rig.posts.count == 1)
            #expect(post.bodyJSON?["name"] == .string("Liam O'Brien"), "\(post.bodyText)")
            #expect(post.bodyJSON?["phone"] == .null, "\(post.bodyText)")
            #expect(post.bodyJSON?["custom_attributes"]?["team_mates"] == .integer(12), "\(post.bodyText)")
            #expect(post.bodyJSON?["custom_attributes"]?["code"] == .string("9"), "\(post.bodyText)")
            #expect(post.bodyJSON?["custom_attributes"]?["monthly_spend"] == nil, "an untouched line sends nothing: \(post.bodyText)")
            #expect(post.bodyJSON?["avatar"] == nil && post.bodyJSON?["email"] == nil, "\(post.bodyText)")
            let stored = try #require(rig.fake.lead(id: obrien))
            #expect(stored.customAttributes["team_mates"] == .integer(12))
            #expect(stored.customAttributes["code"] == .string("9"))
        }
    }

    @Test("a line that does not parse reopens the editor with the error above it; the second save applies", arguments: apiVersions)
    func badLineReopens(version: String) async throws {
        try await withRig(version: version) { rig in
            let count = rig.home.file("count")
            let editor = Self.editor(
                rig.home, "editor.sh",
                """
                n=$(cat '\(count)' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '\(count)'
                if [ $n = 1 ]; then
                  sed -i -e 's/^unsubscribed_from_emails = .*/unsubscribed_from_emails = maybe/' -e 's/^name = .*/name = Second/' "$1"
                else
                  cp "$1" '\(rig.home.file("second.txt"))'
                  sed -i 's/^unsubscribed_from_emails = .*/unsubscribed_from_emails = true/' "$1"
                fi
                """)
            let (result, _) = await Self.shell(rig, ["load \(obrien)", "edit", "push", "quit"], editor: editor)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("reopening the editor"), "\(result.stderr)")

            // The user's text is kept, the error is a comment right above the line.
            let second = try #require(contents(of: rig.home.file("second.txt")))
            #expect(
                second.contains("\n# error: unsubscribed_from_emails takes true or false, not \"maybe\"\nunsubscribed_from_emails = maybe"),
                "\(second)")
            #expect(second.contains("\nname = Second"), "\(second)")

            let post = try #require(rig.posts.first)
            #expect(post.bodyJSON?["unsubscribed_from_emails"] == .bool(true), "\(post.bodyText)")
            #expect(post.bodyJSON?["name"] == .string("Second"), "\(post.bodyText)")
        }
    }

    @Test("2.x: a value the workspace's attribute refuses reopens the editor; emptying the file then changes nothing at all")
    func refusedValueThenEmptied() async throws {
        try await withRig(version: "2.14") { rig in
            let count = rig.home.file("count")
            let editor = Self.editor(
                rig.home, "editor.sh",
                """
                n=$(cat '\(count)' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '\(count)'
                if [ $n = 1 ]; then
                  sed -i -e 's/^team_mates = .*/team_mates = lots/' -e 's/^name = .*/name = Changed/' "$1"
                else
                  cp "$1" '\(rig.home.file("second.txt"))'
                  : > "$1"
                fi
                """)
            let (result, _) = await Self.shell(rig, ["load \(obrien)", "edit", "diff", "quit"], editor: editor)
            #expect(result.status == 0, "\(result.stderr)")
            let second = try #require(contents(of: rig.home.file("second.txt")))
            #expect(second.contains("\n# error: team_mates is an integer attribute"), "the session's own check: \(second)")
            #expect(result.stderr.contains("the file was emptied; nothing changed"), "\(result.stderr)")
            #expect(!result.stdout.contains("Changed"), "no line of the refused file applied: \(result.stdout)")
            #expect(!result.stderr.contains("unpushed edits"), "\(result.stderr)")
            #expect(rig.posts.isEmpty)
        }
    }

    @Test("an unchanged file changes nothing; the file was 0600 in a private folder, removed afterwards")
    func unchangedFile() async throws {
        try await withRig { rig in
            let record = rig.home.file("record")
            let editor = Self.editor(rig.home, "editor.sh", #"printf '%s %s\n' "$(stat -c %a "$1")" "$1" > '\#(record)'"#)
            let (result, _) = await Self.shell(rig, ["load \(obrien)", "edit", "diff", "quit"], editor: editor)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("the file was not changed; nothing changed"), "\(result.stderr)")
            #expect(!result.stderr.contains("unpushed edits"), "quit did not warn: \(result.stderr)")
            let words = try #require(contents(of: record)).split(separator: " ")
            #expect(words.first == "600")
            let path = String(try #require(words.last)).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent), "the folder is removed: \(path)")
        }
    }

    @Test("$VISUAL wins over $EDITOR, split as a shell splits it; a failing editor changes nothing")
    func editorChoice() async throws {
        try await withRig { rig in
            let arguments = rig.home.file("arguments")
            let visual = Self.editor(rig.home, "visual.sh", #"echo "$1" > '\#(arguments)'; sed -i 's/^name = .*/name = Visual/' "$2""#)
            let (chosen, _) = await Self.shell(
                rig, ["load \(obrien)", "edit", "diff", "discard", "quit"], editor: "false", extra: ["VISUAL": "'\(visual)' --wait"])
            #expect(chosen.status == 0, "\(chosen.stderr)")
            #expect(contents(of: arguments) == "--wait\n")
            #expect(chosen.stdout.contains("Visual"), "\(chosen.stdout)")

            let failing = Self.editor(rig.home, "failing.sh", #"sed -i 's/^name = .*/name = Lost/' "$1"; exit 3"#)
            let (failed, _) = await Self.shell(rig, ["load \(obrien)", "edit", "diff", "quit"], editor: failing)
            #expect(failed.stderr.contains("exited with status 3; nothing changed"), "\(failed.stderr)")
            #expect(!failed.stdout.contains("Lost"), "\(failed.stdout)")
        }
    }

    @Test("edit needs a loaded lead, and one lead only")
    func needsOneLead() async throws {
        try await withRig(version: "2.14") { rig in
            let editor = Self.editor(rig.home, "editor.sh", "exit 0")
            let (none, _) = await Self.shell(rig, ["edit", "quit"], editor: editor)
            #expect(none.stderr.contains("no lead loaded"), "\(none.stderr)")

            let (selected, _) = await Self.shell(rig, ["find name=OBrien", "load found", "edit", "quit"], editor: editor)
            #expect(selected.stderr.contains("edit works on one lead"), "\(selected.stderr)")
        }
    }

    @Test("in a script edit is refused: there is no terminal")
    func refusedInScript() async throws {
        try await withRig { rig in
            let editor = Self.editor(rig.home, "editor.sh", "touch '\(rig.home.file("ran"))'")
            let result = try await rig.run(["load \(obrien)", "edit"], env: rig.env.merging(["EDITOR": editor]) { $1 })
            #expect(result.status == 1)
            #expect(result.stderr.contains("edit opens an editor, so it needs a terminal"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: rig.home.file("ran")))
        }
    }
}
