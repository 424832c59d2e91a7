#pragma once
// File plumbing shared by the readers and writers in core/io: whole-file reads (plain or gzip) and
// an atomic writer. Errors are std::runtime_error naming the caller (`who`), the path and errno's
// description.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace minidl::io {

// The whole file. Throws std::runtime_error if it is missing, a folder or unreadable.
std::vector<std::byte> read_file_bytes(const std::filesystem::path& path, std::string_view who);

// The whole file, decompressed if it is gzip (zlib's gzread passes other files through unchanged).
// A damaged or truncated gzip stream throws std::runtime_error naming the file.
std::vector<std::byte> read_gzip_or_plain_bytes(const std::filesystem::path& path, std::string_view who);

// Writes a file so that readers see either the old contents or the complete new ones: the bytes go
// to "<target>.tmp.<pid>" in the target's folder; commit() fsyncs it, renames it over the target and
// fsyncs the folder. Destroying the writer before commit() (an exception) removes the temporary file.
class AtomicFileWriter {
 public:
  AtomicFileWriter(std::filesystem::path target, std::string_view who);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::span<const std::byte> bytes);
  void sync();    // flushes the temporary file to the disk (fsync); commit() calls it if needed
  void commit();  // rename over the target, then fsync the folder
  const std::filesystem::path& temp_path() const { return temp_; }

 private:
  [[noreturn]] void fail(std::string_view what, int err);
  std::filesystem::path target_, temp_, folder_;
  std::string who_;
  int fd_ = -1;
  bool synced_ = false, committed_ = false;
};

}  // namespace minidl::io
