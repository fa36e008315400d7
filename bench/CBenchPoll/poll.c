// SwiftPM builds a C target from its sources; everything this target offers is in its header.
#include "CBenchPoll.h"
