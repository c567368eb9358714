{
  "targets": [
    {
      "target_name": "receive_time",
      "sources": ["native/receive_time.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
