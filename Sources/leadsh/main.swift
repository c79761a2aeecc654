import Foundation
import LeadshApp

let code = await Leadsh.main(Array(CommandLine.arguments.dropFirst()))
exit(code)
