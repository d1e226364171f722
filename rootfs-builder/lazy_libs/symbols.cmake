# The functions of the image libraries that hull's code calls, per library (soname).
# The `hull` CLI links stubs for exactly these instead of the libraries themselves
# (lazy_libs.cmake), so that a command that never touches an image archive, a registry
# or a digest — `hull run` of an image already unpacked — does not load libcurl,
# libarchive, libcrypto and their ~40 dependencies. A new call into one of these
# libraries fails to link `hull` with "undefined reference to `name'": add the name here.
set(HULL_LAZY_LIB_libcurl.so.4
  curl_easy_cleanup curl_easy_getinfo curl_easy_init curl_easy_perform curl_easy_setopt
  curl_easy_strerror curl_global_init curl_slist_append curl_slist_free_all)
set(HULL_LAZY_LIB_libarchive.so.13
  archive_entry_atime archive_entry_atime_is_set archive_entry_atime_nsec
  archive_entry_filetype archive_entry_free archive_entry_gid archive_entry_hardlink
  archive_entry_linkify archive_entry_linkresolver_free archive_entry_linkresolver_new
  archive_entry_linkresolver_set_strategy archive_entry_mtime archive_entry_mtime_nsec
  archive_entry_new archive_entry_pathname archive_entry_perm archive_entry_rdevmajor
  archive_entry_rdevminor archive_entry_set_gid archive_entry_set_mode archive_entry_set_nlink
  archive_entry_set_pathname archive_entry_set_rdev archive_entry_set_size
  archive_entry_set_symlink archive_entry_set_uid archive_entry_size archive_entry_sourcepath
  archive_entry_symlink archive_entry_uid archive_entry_xattr_next archive_entry_xattr_reset
  archive_error_string archive_free archive_read_data archive_read_data_block
  archive_read_disk_descend archive_read_disk_new archive_read_disk_open
  archive_read_disk_set_behavior archive_read_disk_set_standard_lookup archive_read_free
  archive_read_new archive_read_next_header archive_read_next_header2 archive_read_open
  archive_read_support_filter_all archive_read_support_format_empty
  archive_read_support_format_raw archive_read_support_format_tar archive_set_error
  archive_write_add_filter_none archive_write_close archive_write_data archive_write_free
  archive_write_header archive_write_new archive_write_open archive_write_open_fd
  archive_write_set_bytes_in_last_block archive_write_set_format_cpio_newc
  archive_write_set_format_pax_restricted)
set(HULL_LAZY_LIB_libcrypto.so.3
  EVP_DigestFinal_ex EVP_DigestInit_ex EVP_DigestUpdate EVP_EncodeBlock EVP_MD_CTX_free
  EVP_MD_CTX_new EVP_sha256)
set(HULL_LAZY_LIBS libcurl.so.4 libarchive.so.13 libcrypto.so.3)
