// An image's width and height from its file header, without decoding pixels: PNG (IHDR), JPEG (the first
// start-of-frame marker), GIF (logical screen), BMP (the DIB header; a negative height means top-down) and
// WebP (VP8, VP8L, VP8X). The size is the stored pixel array's: an EXIF orientation is not applied (a JPEG
// taken in portrait with orientation 6 or 8 reports its stored landscape size; tools that rotate on load,
// e.g. Ultralytics' exif_size, then disagree).
//
// Every refusal names the file and what is wrong: an unknown format, a header cut short, a JPEG without a
// start-of-frame, a zero size.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "../core/error.hpp"

namespace stratum::io {

struct image_dims {
  std::uint32_t width = 0, height = 0;
  friend bool operator==(const image_dims&, const image_dims&) = default;
};

namespace detail {

inline std::uint32_t be16(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 8) | p[1];
}
inline std::uint32_t le16(const unsigned char* p) {
  return (std::uint32_t{p[1]} << 8) | p[0];
}
inline std::uint32_t be32(const unsigned char* p) {
  return (be16(p) << 16) | be16(p + 2);
}
inline std::uint32_t le32(const unsigned char* p) {
  return (le16(p + 2) << 16) | le16(p);
}

/// The size from the first n bytes of a file; `more` is set (and {0, 0} returned) when a JPEG's
/// start-of-frame lies beyond them.
inline image_dims image_dims_of(const unsigned char* d, std::size_t n, bool complete,
                                const std::string& source, bool& more) {
  more = false;
  const auto cut = [&](const char* what) -> image_dims {
    throw input_error(source + ": " + what + " header cut short (" + std::to_string(n) + " bytes)");
  };
  const auto check = [&](image_dims s, const char* what) {
    if (s.width == 0 || s.height == 0)
      throw input_error(source + ": the " + what + " header gives a size of " + std::to_string(s.width) +
                        "x" + std::to_string(s.height));
    return s;
  };
  if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
    if (n < 24) return cut("PNG");
    if (std::memcmp(d + 12, "IHDR", 4) != 0)
      throw input_error(source + ": PNG without IHDR as its first chunk");
    return check({be32(d + 16), be32(d + 20)}, "PNG");
  }
  if (n >= 6 && (std::memcmp(d, "GIF87a", 6) == 0 || std::memcmp(d, "GIF89a", 6) == 0)) {
    if (n < 10) return cut("GIF");
    return check({le16(d + 6), le16(d + 8)}, "GIF");
  }
  if (n >= 2 && d[0] == 'B' && d[1] == 'M') {
    if (n < 26) return cut("BMP");
    const std::uint32_t dib = le32(d + 14);
    if (dib == 12) return check({le16(d + 18), le16(d + 20)}, "BMP");
    if (dib < 40) throw input_error(source + ": BMP with an unknown header size " + std::to_string(dib));
    const auto w = static_cast<std::int32_t>(le32(d + 18)), h = static_cast<std::int32_t>(le32(d + 22));
    if (w <= 0 || h == INT32_MIN)
      throw input_error(source + ": the BMP header gives a size of " + std::to_string(w) + "x" +
                        std::to_string(h));
    return check({static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h < 0 ? -h : h)}, "BMP");
  }
  if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
    if (n < 30) return cut("WebP");
    const unsigned char* c = d + 12;
    if (std::memcmp(c, "VP8 ", 4) == 0) {  // lossy: frame tag (3), start code 9d 01 2a, 14-bit sizes
      if (c[11] != 0x9d || c[12] != 0x01 || c[13] != 0x2a)
        throw input_error(source + ": WebP VP8 without its start code");
      return check({le16(c + 14) & 0x3fff, le16(c + 16) & 0x3fff}, "WebP");
    }
    if (std::memcmp(c, "VP8L", 4) == 0) {  // lossless: signature 2f, then 14-bit width - 1 and height - 1
      if (c[8] != 0x2f) throw input_error(source + ": WebP VP8L without its signature");
      const std::uint32_t bits = le32(c + 9);
      return check({(bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1}, "WebP");
    }
    if (std::memcmp(c, "VP8X", 4) == 0) {  // extended: 24-bit canvas width - 1 and height - 1
      const auto u24 = [](const unsigned char* p) {
        return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16);
      };
      return check({u24(c + 12) + 1, u24(c + 15) + 1}, "WebP");
    }
    throw input_error(source + ": WebP with an unknown first chunk");
  }
  if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) {
    std::size_t i = 2;
    for (;;) {
      if (i + 4 > n) {
        if (complete) throw input_error(source + ": JPEG without a start-of-frame marker");
        more = true;
        return {};
      }
      if (d[i] != 0xff) throw input_error(source + ": JPEG: no marker at offset " + std::to_string(i));
      const unsigned m = d[i + 1];
      if (m == 0xff) {  // fill byte
        ++i;
        continue;
      }
      if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) {  // markers without a length
        i += 2;
        continue;
      }
      if (m == 0xd9 || m == 0xda)
        throw input_error(source + ": JPEG: no start-of-frame before the " +
                          std::string(m == 0xd9 ? "end of the image" : "scan"));
      const std::size_t len = be16(d + i + 2);
      if (len < 2)
        throw input_error(source + ": JPEG: a segment length below 2 at offset " + std::to_string(i + 2));
      const bool sof = m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
      if (sof) {
        if (i + 9 > n) {
          if (complete) return cut("JPEG");
          more = true;
          return {};
        }
        return check({be16(d + i + 7), be16(d + i + 5)}, "JPEG");
      }
      i += 2 + len;
    }
  }
  throw input_error(source + ": not a PNG, JPEG, GIF, BMP or WebP file");
}

}  // namespace detail

/// The size in a file's header (see the file comment).
[[nodiscard]] inline image_dims read_image_size(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw input_error(path + ": cannot read file");
  std::string buf;
  std::size_t want = 65536;
  for (;;) {
    const std::size_t have = buf.size();
    buf.resize(want);
    const std::size_t got = std::fread(buf.data() + have, 1, want - have, f);
    buf.resize(have + got);
    const bool complete = got < want - have;
    if (complete && std::ferror(f)) {
      std::fclose(f);
      throw input_error(path + ": read error");
    }
    bool more = false;
    try {
      const auto s = detail::image_dims_of(reinterpret_cast<const unsigned char*>(buf.data()), buf.size(),
                                           complete, path, more);
      if (!more) {
        std::fclose(f);
        return s;
      }
    } catch (...) {
      std::fclose(f);
      throw;
    }
    want *= 4;  // a JPEG whose frame header lies beyond the large APP segments read so far
  }
}

}  // namespace stratum::io
