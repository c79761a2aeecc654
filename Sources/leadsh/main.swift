import Foundation
import LeadshApp

// The process boundary: this process's arguments, environment, descriptors and terminal.
exit(await Leadsh.run(.current()))
