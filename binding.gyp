{
  "targets": [
    {
      "target_name": "airlb_native",
      "sources": [
        "native/addon.c",
        "native/packet_socket.c",
        "native/arp_fast_path.c",
        "native/md5_tcp.c",
        "native/sockopts.c",
        "native/arp_ebpf.c"
      ],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
