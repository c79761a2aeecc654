import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

let julia = "5811f7c1e6b4704ddfa84ad2"

extension Rig {
    /// The rig's environment with `LEADSH_BASE_URL` and `LEADSH_JOURNAL`, as a shebang script needs.
    var scriptEnv: [String: String] {
        var env = self.env
        env["LEADSH_BASE_URL"] = fake.baseURL
        env["LEADSH_JOURNAL"] = journal
        env["PATH"] = productsDirectory() + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        return env
    }

    /// Every journal row (`queue --all --json`).
    func journalRows() async throws -> [JSONValue] {
        let queue = try await leadsh(args + ["queue", "--all", "--json"], environment: env)
        guard case .array(let rows) = try JSONText.parse(queue.stdout) else {
            Issue.record("queue --all --json printed \(queue.stdout) \(queue.stderr)")
            return []
        }
        return rows
    }
}

/// The JSON documents of a `--json` run's output, one per line.
func strictJSONLines(_ text: String) throws -> [JSONValue] {
    try text.split(separator: "\n").map { try JSONText.parse(String($0)) }
}

@Suite("Scripts: every way in, errors, variables, JSON, dry runs")
struct ScriptingTests {
    @Test("a script runs as FILE ARGS, as `-`, piped to stdin, as repeated -c, through source, and by its #! line")
    func waysIn() async throws {
        try await withRig { rig in
            let dir = rig.home.path
            func way() -> JSONValue? { rig.fake.lead(id: obrien)?.customAttributes["way"] }

            let file = rig.home.write("args.leadsh", "load $1\nattr way \"$2\"\npush\n")
            let byFile = try await leadsh(rig.args + [file, obrien, "file args"], environment: rig.env)
            #expect(byFile.status == 0, "\(byFile.stderr)")
            #expect(way() == "file args")

            let dash = try await leadsh(rig.args + ["-"], environment: rig.env, stdin: "load \(obrien)\nattr way dash\npush\n")
            #expect(dash.status == 0, "\(dash.stderr)")
            #expect(way() == "dash")

            let piped = try await leadsh(rig.args, environment: rig.env, stdin: "load \(obrien)\nattr way piped\npush\n")
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(way() == "piped")

            rig.fake.clearRequests()
            let repeated = try await rig.run(["load \(obrien)", "attr way c1", "push", "attr way c2", "push"])
            #expect(repeated.status == 0)
            #expect(rig.posts.compactMap { $0.bodyJSON?["custom_attributes"]?["way"] } == ["c1", "c2"], "-c commands run in order")

            // `source` resolves against the sourcing script's folder, not the current directory.
            try FileManager.default.createDirectory(atPath: dir + "/lib", withIntermediateDirectories: true)
            _ = rig.home.write("lib/inner.leadsh", "load \(obrien)\nattr way \"$1 $2\"\npush\n")
            let outer = rig.home.write("lib/outer.leadsh", "source inner.leadsh sourced 'with arguments'\n")
            let sourced = try await leadsh(rig.args + [outer], environment: rig.env, currentDirectory: "/")
            #expect(sourced.status == 0, "\(sourced.stderr)")
            #expect(way() == "sourced with arguments")

            let shebang = rig.home.write("shebang.leadsh", "#!/usr/bin/env leadsh\nload \(obrien)\nattr way \"$1\"\npush\n")
            chmod(shebang, 0o755)
            let direct = try await runProgram(shebang, ["by shebang"], environment: rig.scriptEnv, currentDirectory: dir)
            #expect(direct.status == 0, "\(direct.stderr)")
            #expect(way() == "by shebang")
        }
    }

    @Test("-c quit opens nothing: no journal is created; a command before quit runs and creates it; a bad line before quit still fails")
    func quitOpensNothing() async throws {
        try await withRig { rig in
            let path = rig.home.file("new/j.sqlite")
            let quit = try await leadsh(["--offline", "--journal", path, "-c", "# nothing yet", "-c", "quit"], environment: rig.env)
            #expect(quit.status == 0 && quit.stdout.isEmpty && quit.stderr.isEmpty, "\(quit)")
            #expect(!FileManager.default.fileExists(atPath: path), "quit opened no journal")

            let bad = try await leadsh(["--offline", "--journal", path, "-c", "lod x", "-c", "quit"], environment: rig.env)
            #expect(bad.status != 0 && bad.stderr.contains("-c:1:"), "\(bad.stderr)")

            let status = try await leadsh(["--offline", "--journal", path, "-c", "status", "-c", "quit"], environment: rig.env)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(FileManager.default.fileExists(atPath: path), "status opened (and created) the journal")
        }
    }

    @Test("a script stops at its first failure with FILE:LINE and exit 1, keeping what it pushed; --on-error continue goes on")
    func stopAndContinue() async throws {
        try await withRig { rig in
            try FileManager.default.createDirectory(atPath: rig.home.file("sub"), withIntermediateDirectories: true)
            _ = rig.home.write("sub/inner.leadsh", "# sourced\nattr step 2\nbogus command\n")
            _ = rig.home.write(
                "sub/main.leadsh",
                """
                load \(obrien)
                attr step 1
                push
                source inner.leadsh
                attr after 1
                push

                """)

            let stopped = try await leadsh(rig.args + ["sub/main.leadsh"], environment: rig.env, currentDirectory: rig.home.path)
            #expect(stopped.status == 1)
            #expect(stopped.stderr.contains(#"sub/inner.leadsh:3: unknown command "bogus""#), "\(stopped.stderr)")
            #expect(stopped.stderr.contains("sub/main.leadsh: the script ended with unpushed edits"), "not dropped silently: \(stopped.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["step"] == 1, "the push before the failure stands")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["after"] == nil, "nothing after the failure ran")
            #expect(try await rig.journalRows().count == 1)

            let continued = try await leadsh(
                rig.args + ["--on-error", "continue", "sub/main.leadsh"], environment: rig.env, currentDirectory: rig.home.path)
            #expect(continued.status == 1, "a failure anywhere still exits 1")
            #expect(continued.stderr.contains(#"sub/inner.leadsh:3: unknown command "bogus""#))
            #expect(rig.fake.lead(id: obrien)?.customAttributes["after"] == 1, "the rest of the script ran")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["step"] == 2)

            let c = try await rig.run(["load \(obrien)", "set name", "status"])
            #expect(c.status == 1)
            #expect(c.stderr.hasPrefix("-c:2: "), "\(c.stderr)")
            #expect(!c.stdout.contains("mode"), "stopped before the third command")

            let ok = try await rig.run(["load \(obrien)", "show"])
            #expect(ok.status == 0)
            let badOption = try await leadsh(rig.args + ["--on-error", "maybe", "-c", "status"], environment: rig.env)
            #expect(badOption.status == 2)
            #expect(badOption.stderr.contains("--on-error"), "\(badOption.stderr)")
            let notJournal = rig.home.write("not-a-journal.sqlite", "hello")
            let badJournal = try await leadsh(["--base-url", rig.fake.baseURL, "--journal", notJournal, "-c", "status"], environment: rig.env)
            #expect(badJournal.status == 3)
        }
    }

    @Test("$1 and ${NAME} expand as in a shell; an unset variable stops the script before anything is sent")
    func variables() async throws {
        try await withRig { rig in
            let file = rig.home.write(
                "vars.leadsh",
                """
                load $1
                attr note "$2"
                attr plan ${PLAN}
                attr literal '$HOME and ${PLAN}'
                attr dollars "costs \\$5"
                push
                attr missing ${LEADSH_SURELY_UNSET}
                push

                """)
            var env = rig.env
            env["PLAN"] = "gold"
            let run = try await leadsh(rig.args + [file, obrien, "two words"], environment: env)
            #expect(run.status == 1)
            #expect(run.stderr.contains("vars.leadsh:7: $LEADSH_SURELY_UNSET is not set"), "\(run.stderr)")
            let attrs = try #require(rig.fake.lead(id: obrien)?.customAttributes)
            #expect(attrs["note"] == "two words", "a quoted argument stays one word")
            #expect(attrs["plan"] == "gold")
            #expect(attrs["literal"] == "$HOME and ${PLAN}", "single quotes keep $ literal")
            #expect(attrs["dollars"] == "costs $5")
            #expect(rig.posts.count == 1)

            rig.fake.clearRequests()
            let missingArgument = try await leadsh(rig.args + [file], environment: env)
            #expect(missingArgument.status == 1)
            #expect(missingArgument.stderr.contains("vars.leadsh:1: $1 is not set"), "\(missingArgument.stderr)")
            #expect(rig.fake.requests.isEmpty)
        }
    }

    @Test("--json prints one document per line per command, in documented shapes; errors go to stderr as JSON")
    func jsonShapes() async throws {
        try await withRig { rig in
            let run = try await rig.run(
                ["load \(obrien)", "attr plan pro", "set name Liam", "show", "diff", "push", "status", "bogus"], extra: ["--json"])
            #expect(run.status == 1)
            let lines = try strictJSONLines(run.stdout)
            #expect(lines.count == 7, "one line per command, the failing one on stderr: \(run.stdout)")
            guard lines.count == 7 else { return }
            let (load, attr, set, show, diff, push, status) = (lines[0], lines[1], lines[2], lines[3], lines[4], lines[5], lines[6])

            #expect(load["lead"]?["id"] == .string(obrien))
            #expect(load["from_cache"] == false)
            #expect(attr["field"] == "custom_attributes.plan")
            #expect(attr["new"] == "pro")
            #expect(set["old"] == "OBrien")
            // show: the lead with its pending edits applied, and the edits themselves.
            #expect(show["lead"]?["name"] == "Liam")
            #expect(show["lead"]?["custom_attributes"]?["plan"] == "pro")
            #expect(show["pending"]?["name"] == "Liam")
            #expect(show["pending"]?["custom_attributes.plan"] == "pro")
            // diff: each change with old and new values and their types.
            #expect(diff["lead"] == .string(obrien))
            guard case .array(let changes) = diff["changes"] else {
                Issue.record("diff: \(diff)")
                return
            }
            #expect(changes.count == 2)
            #expect(
                changes.contains(
                    .object(
                        JSONObject([
                            ("field", "custom_attributes.plan"), ("old", .null), ("old_type", "absent"), ("new", "pro"), ("new_type", "string"),
                        ]))))
            #expect(
                changes.contains(
                    .object(
                        JSONObject([
                            ("field", "name"), ("old", "OBrien"), ("old_type", "string"), ("new", "Liam"), ("new_type", "string"),
                        ]))))
            // push: the sequence number and the state.
            #expect(push["seq"] == 1)
            #expect(push["state"] == "sent")
            #expect(push["op_id"]?.stringValue?.count == 36)
            // status: as DESIGN gives it.
            #expect(status["mode"] == "online")
            #expect(status["counts"]?["sent"] == 1)
            #expect(status["counts"]?["pending"] == 0)

            let error = try #require(try strictJSONLines(run.stderr).first)
            #expect(error["error"]?["code"] == "unknown_command")
            #expect(error["error"]?["line"] == 8)
            #expect(error["error"]?["message"]?.stringValue?.contains("bogus") == true)

            // queue --json: the rows not yet sent.
            let offline = try await rig.run(["load \(obrien)", "attr plan max", "push"], extra: ["--offline", "--json"])
            #expect(offline.status == 0)
            #expect(try strictJSONLines(offline.stdout).last?["state"] == "pending")
            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            guard case .array(let rows) = try JSONText.parse(queue.stdout), let row = rows.first else {
                Issue.record("\(queue.stdout)")
                return
            }
            #expect(rows.count == 1)
            #expect(row["seq"] == 2)
            #expect(row["state"] == "pending")
            #expect(row["fields"]?["custom_attributes.plan"] == "max")
        }
    }

    @Test("no escape codes through a pipe or with NO_COLOR; colour on a terminal", .enabled(if: tmuxAvailable))
    func colour() async throws {
        try await withRig { rig in
            func commands(_ plan: String) -> [String] { ["load \(obrien)", "attr plan \(plan)", "diff", "push", "queue --all"] }
            let piped = try await rig.run(commands("piped"))
            #expect(piped.status == 0)
            #expect(!piped.stdout.contains("\u{1B}") && !piped.stderr.contains("\u{1B}"))
            #expect(piped.stdout.contains("sent #1"))

            func onTerminal(noColor: Bool) async throws -> String {
                let leadshCommand = [productsDirectory() + "/leadsh"] + rig.args + commands(noColor ? "plain" : "coloured").flatMap { ["-c", $0] }
                let command =
                    noColor
                    ? ["/usr/bin/env", "NO_COLOR=1"] + leadshCommand
                    : ["/usr/bin/env", "-u", "NO_COLOR"] + leadshCommand
                let terminal = try TmuxSession(command: command, environment: rig.env)
                defer { terminal.close() }
                #expect(try await terminal.waitForExit(timeout: .seconds(20)) == 0)
                return terminal.captureWithEscapes()
            }
            let coloured = try await onTerminal(noColor: false)
            #expect(coloured.contains("\u{1B}["), "colour on a terminal: \(coloured)")
            #expect(coloured.contains("sent"))
            let plain = try await onTerminal(noColor: true)
            #expect(plain.contains("sent"))
            #expect(!plain.contains("\u{1B}["), "NO_COLOR: \(plain)")
        }
    }

    @Test("--dry-run on push and on a whole script shows the body and before/after values; sends and journals nothing")
    func dryRun() async throws {
        try await withRig { rig in
            let one = try await rig.run(["load \(obrien)", "attr plan trial", "push --dry-run", "diff"])
            #expect(one.status == 0, "the last preview showed exactly the unpushed edits: previewed, not forgotten: \(one.stderr)")
            #expect(!one.stderr.contains("unpushed edits"))
            let after = try await rig.run(["load \(obrien)", "attr plan trial", "push --dry-run", "set name Later"])
            #expect(after.status == 1, "an edit after the preview is still unpushed")
            #expect(after.stderr.contains("unpushed edits"))
            #expect(one.stdout.contains("dry run: nothing sent, nothing journaled"))
            #expect(one.stdout.contains(#""plan": "trial""#), "the exact body: \(one.stdout)")
            #expect(one.stdout.contains("custom_attributes.plan"))

            let file = rig.home.write(
                "batch.leadsh",
                """
                load \(obrien)
                set name Dry
                push
                load \(julia)
                attr plan "dry"
                push

                """)
            let whole = try await leadsh(rig.args + ["--dry-run", "--json", file], environment: rig.env)
            #expect(whole.status == 0, "a dry run of a whole script ends cleanly: \(whole.stderr)")
            let pushes = try strictJSONLines(whole.stdout).filter { $0["dry_run"] == true }
            #expect(pushes.count == 2)
            let first = try #require(pushes.first)
            #expect(first["method"] == "POST")
            #expect(first["path"] == "/contacts")
            #expect(first["body"] == .object(JSONObject([("id", .string(obrien)), ("user_id", .string(obrienUserID)), ("name", "Dry")])))
            #expect(first["changes"]?.arrayValue?.first?["old"] == "OBrien")
            #expect(first["changes"]?.arrayValue?.first?["new"] == "Dry")

            #expect(rig.posts.isEmpty, "nothing sent")
            #expect(try await rig.journalRows().isEmpty, "nothing journaled")
            #expect(rig.fake.lead(id: obrien)?.name == "OBrien")
        }
    }

    @Test("output into a pipe that closes early (| head) stops leadsh quietly, a full disk with a message; what it pushed is journaled")
    func closedPipe() async throws {
        try await withRig { rig in
            var script = ""
            for n in 1...200 { script += "load \(obrien)\nattr n \(n)\npush\nshow\n" }
            let file = rig.home.write("long.leadsh", script)
            let command = ([productsDirectory() + "/leadsh"] + rig.args + [file]).map { "'\($0)'" }.joined(separator: " ")
            let piped = try await runProgram("/bin/bash", ["-c", command + " | head -1; echo \"status=${PIPESTATUS[0]}\""], environment: rig.env)
            #expect(piped.stdout.hasPrefix("loaded \(obrien)"))
            #expect(piped.stdout.contains("status=141"), "as a program stopped by SIGPIPE: \(piped.stdout)")
            #expect(piped.stderr.isEmpty, "no crash report: \(piped.stderr)")
            let rows = try await rig.journalRows()
            #expect(!rows.isEmpty && rows.count < 200, "stopped early, keeping \(rows.count) pushes")
            #expect(rows.allSatisfy { $0["state"] == "sent" })

            // Any other write failure (a full disk) is said, not swallowed.
            let full = try await runProgram("/bin/bash", ["-c", command + " > /dev/full; echo \"status=$?\""], environment: rig.env)
            #expect(full.stdout.contains("status=1"), "\(full.stdout)")
            #expect(full.stderr.contains("cannot write to standard output: No space left on device"), "\(full.stderr)")
        }
    }

    @Test("history --as-script prints a script that replays the session's changes")
    func historyAsScript() async throws {
        try await withRig { rig in
            let session = try await rig.run([
                "load \(obrien)", #"set name "Ada O'Hara""#, "show", "attr seats 7", "push", "history --as-script",
            ])
            #expect(session.status == 0, "\(session.stderr)")
            let script = try #require(session.stdout.range(of: "#!/usr/bin/env leadsh").map { String(session.stdout[$0.lowerBound...]) })
            #expect(!script.contains("show"), "only commands that change something")
            #expect(!script.contains(rig.fake.configuration.token))

            // Put the lead back, replay the printed script, and the lead ends the same.
            _ = rig.fake.edit(leadID: obrien, FieldChanges([(.standard("name"), "OBrien"), (.custom("seats"), .null)]))
            let replay = try await leadsh(rig.args + [rig.home.write("replay.leadsh", script)], environment: rig.env)
            #expect(replay.status == 0, "\(replay.stderr)")
            #expect(rig.fake.lead(id: obrien)?.name == "Ada O'Hara")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["seats"] == 7)
        }
    }

    @Test("the example scripts in scripts/examples do what they say")
    func examples() async throws {
        let examples = repositoryRoot() + "/scripts/examples"
        try await withRig { rig in
            // Bulk re-tagging: one POST per lead, each with the new plan.
            let retag = try await leadsh(rig.args + [examples + "/retag-plan.leadsh", "enterprise"], environment: rig.env)
            #expect(retag.status == 0, "\(retag.stderr)")
            #expect(rig.posts.count == 3)
            for id in allSampleIDs.prefix(3) { #expect(rig.fake.lead(id: id)?.customAttributes["plan"] == "enterprise") }

            // Without its argument it stops at line one of the edits, before any push.
            rig.fake.clearRequests()
            let noArgument = try await leadsh(rig.args + [examples + "/retag-plan.leadsh"], environment: rig.env)
            #expect(noArgument.status == 1)
            #expect(noArgument.stderr.contains("retag-plan.leadsh:14: $1 is not set"), "\(noArgument.stderr)")
            #expect(rig.posts.isEmpty)

            // The offline batch queues everything, then the cron script's sync sends it, under the
            // default 2.14: the workspace has the batch's own attribute, as the script's comment asks.
            rig.fake.addDataAttribute(DataAttribute(name: "account_owner", dataType: "string"))
            var env = rig.scriptEnv
            env["OWNER"] = "dana"
            let batch = try await runProgram(examples + "/offline-batch.leadsh", [], environment: env, currentDirectory: rig.home.path)
            #expect(batch.status == 0, "\(batch.stderr)")
            #expect(rig.posts.isEmpty, "offline: nothing sent")
            #expect(try await rig.journalRows().filter { $0["state"] == "pending" }.count == 2)

            let sync = try await runProgram(examples + "/nightly-sync", [], environment: env, currentDirectory: rig.home.path)
            #expect(sync.status == 0, "\(sync.stdout) \(sync.stderr)")
            #expect(rig.posts.count == 2)
            let obrienNow = try #require(rig.fake.lead(id: obrien))
            #expect(obrienNow.name == "Siobhan O'Brien")
            #expect(obrienNow.customAttributes["monthly_spend"] == .double(310.25))
            #expect(obrienNow.customAttributes["account_owner"] == "dana")
            #expect(rig.fake.lead(id: julia)?.customAttributes["paid_subscriber"] == .null)
        }
    }
}
