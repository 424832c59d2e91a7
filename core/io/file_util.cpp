#include "minidl/core/io/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "minidl/core/error.h"

namespace minidl::io {

namespace {

std::string describe_errno(int err) { return std::strerror(err); }

// open(2) with a message that says whether the file is missing, a folder or unreadable.
int open_for_reading(const std::filesystem::path& path, std::string_view who) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw_runtime_error("{}: cannot read '{}': it is a folder, not a file", who, path.string());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) throw_runtime_error("{}: file '{}' does not exist", who, path.string());
    throw_runtime_error("{}: cannot open '{}': {}", who, path.string(), describe_errno(err));
  }
  return fd;
}

}  // namespace

std::vector<std::byte> read_file_bytes(const std::filesystem::path& path, std::string_view who) {
  const int fd = open_for_reading(path, who);
  std::vector<std::byte> out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
  std::byte chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw_runtime_error("{}: error reading '{}' at offset {}: {}", who, path.string(), out.size(),
                          describe_errno(err));
    }
    if (n == 0) break;
    out.insert(out.end(), chunk, chunk + n);
  }
  ::close(fd);
  return out;
}

std::vector<std::byte> read_gzip_or_plain_bytes(const std::filesystem::path& path, std::string_view who) {
  // gzdopen on our own descriptor keeps the "missing file" message ours rather than zlib's.
  const int fd = open_for_reading(path, who);
  gzFile gz = ::gzdopen(fd, "rb");
  if (gz == nullptr) {
    ::close(fd);
    throw_runtime_error("{}: cannot open '{}' for reading through zlib", who, path.string());
  }
  std::vector<std::byte> out;
  std::vector<std::byte> chunk(1 << 20);
  for (;;) {
    const int n = ::gzread(gz, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n <= 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  }
  // gzread reports a truncated stream (Z_BUF_ERROR) only through gzerror, and returns the bytes it
  // could decompress; check both ways.
  int err = Z_OK;
  const char* message = ::gzerror(gz, &err);
  const std::string zlib_message = message ? message : "";
  ::gzclose(gz);
  if (err == Z_BUF_ERROR)
    throw_runtime_error("{}: '{}' is a truncated gzip file ({} bytes decompressed before it ended): {}", who,
                        path.string(), out.size(), zlib_message);
  if (err != Z_OK)
    throw_runtime_error("{}: '{}' is not a valid gzip file (after {} decompressed bytes): {}", who, path.string(),
                        out.size(), zlib_message);
  return out;
}

// ---------------------------------------------------------------- AtomicFileWriter

AtomicFileWriter::AtomicFileWriter(std::filesystem::path target, std::string_view who)
    : target_(std::move(target)), who_(who) {
  folder_ = target_.parent_path();
  if (folder_.empty()) folder_ = ".";
  temp_ = target_;
  temp_ += ".tmp." + std::to_string(::getpid());
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int err = errno;
    std::error_code ec;
    if (!std::filesystem::exists(folder_, ec))
      throw_runtime_error("{}: cannot write '{}': folder '{}' does not exist", who_, target_.string(),
                          folder_.string());
    if (!std::filesystem::is_directory(folder_, ec))
      throw_runtime_error("{}: cannot write '{}': '{}' is not a folder", who_, target_.string(), folder_.string());
    throw_runtime_error("{}: cannot write '{}': cannot create a file in folder '{}': {}", who_, target_.string(),
                        folder_.string(), describe_errno(err));
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFileWriter::fail(std::string_view what, int err) {
  // The destructor closes and removes the temporary file; the target is untouched.
  throw_runtime_error("{}: cannot write '{}': {} failed on temporary file '{}': {}", who_, target_.string(), what,
                      temp_.string(), describe_errno(err));
}

void AtomicFileWriter::write(std::span<const std::byte> bytes) {
  if (committed_ || fd_ < 0)
    throw std::logic_error(fmt::format("{}: write to '{}' after commit", who_, target_.string()));
  synced_ = false;
  while (!bytes.empty()) {
    const std::size_t step = std::min<std::size_t>(bytes.size(), std::size_t{1} << 30);
    const ssize_t n = ::write(fd_, bytes.data(), step);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write", errno);
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

void AtomicFileWriter::sync() {
  if (synced_) return;
  if (::fsync(fd_) != 0) fail("fsync", errno);
  synced_ = true;
}

void AtomicFileWriter::commit() {
  sync();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close", errno);
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    throw_runtime_error("{}: cannot write '{}': renaming the temporary file '{}' over it failed: {}", who_,
                        target_.string(), temp_.string(), describe_errno(err));
  }
  committed_ = true;
  // The rename is durable only once the folder's entry is on the disk.
  const int dir = ::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    const int err = errno;
    throw_runtime_error("{}: wrote '{}' but could not open its folder '{}' to fsync it: {}", who_, target_.string(),
                        folder_.string(), describe_errno(err));
  }
  const int rc = ::fsync(dir);
  const int err = errno;
  ::close(dir);
  // Some file systems cannot fsync a folder (EINVAL); the data itself is already synced.
  if (rc != 0 && err != EINVAL)
    throw_runtime_error("{}: wrote '{}' but fsync of its folder '{}' failed: {}", who_, target_.string(),
                        folder_.string(), describe_errno(err));
}

}  // namespace minidl::io
