import os, socket, sys
uid = int(sys.argv[2]); gid = int(sys.argv[3])
if gid >= 0: os.setgid(gid)
if uid >= 0: os.setuid(uid)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    print("bound")
except OSError as e:
    print("errno", e.errno)
s.close()
