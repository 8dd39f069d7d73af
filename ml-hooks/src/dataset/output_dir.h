// The export directory: deciding whether an --out directory may be used,
// clearing a previous export from it, creating the layout, and the marker
// file that says what an export wrote (see dataset.h "Re-exporting").
//
// Thread safety: free functions; one export per directory at a time (two
// concurrent exports into one directory are not detected).
#pragma once

#include <string>
#include <vector>

#include "osprey/base/status.h"
#include "osprey/ml_hooks/dataset.h"

namespace osprey::ml_hooks::dataset {

// The marker's file name inside the export directory.
inline constexpr const char* kMarkerName = ".osprey-dataset";

// Makes `dir` ready for a new export of `format`: creates it when missing;
// accepts it empty; or removes a previous export of the same format from it.
// Refuses (AlreadyExists) a directory holding another format's export,
// anything an export does not write, or no marker; InvalidArgument when
// `dir` is not a directory. Then creates images/ (and labels/ for YOLO), the
// same under review/, and writes an incomplete marker.
Status PrepareOutputDir(const std::string& dir, DatasetFormat format,
                        const std::vector<std::string>& labels);

// Rewrites the marker, complete, with the summary's counts.
Status WriteCompleteMarker(const std::string& dir, const std::vector<std::string>& labels,
                           const DatasetSummary& summary);

}  // namespace osprey::ml_hooks::dataset
