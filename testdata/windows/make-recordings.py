#!/usr/bin/env python3
"""Writes the hand-made Windows recordings testdata/hosts/win*/sms-capture.json.

No Windows machine recorded these: each host below is described by its disks, partitions
and volumes, laid out as Microsoft documents Windows Setup's default partition layouts
(UEFI/GPT: an EFI system partition, a 16 MiB Microsoft reserved partition, the Windows
partition and a recovery partition; BIOS/MBR: an active System Reserved partition before
the Windows partition), and the script writes what each probe of collectors/winvolumes and
collectors/winhost would answer, in the documented structures' field names
(DRIVE_LAYOUT_INFORMATION_EX, PARTITION_INFORMATION_EX, DISK_EXTENT,
STORAGE_DEVICE_DESCRIPTOR, Win32_EncryptableVolume...). See testdata/windows/README.md.

Run it from the repository root after changing a host; then rewrite the goldens with
  go test ./agent/inventory ./agent/sms -run Golden -update
"""
import json
import os

MiB = 1 << 20
GiB = 1 << 30

ESP = "{C12A7328-F81F-11D2-BA4B-00A0C93EC93B}"
MSR = "{E3C9E316-0B5C-4DB8-817D-F92DF00215AE}"
BASIC = "{EBD0A0A2-B9E5-4433-87C0-68B6B72699C7}"
RECOVERY = "{DE94BBA4-06D1-4D40-A16A-BFD50179D6AC}"
LDM_META = "{5808C8AA-7E8F-42E0-85D2-E1E90434CFB3}"
LDM_DATA = "{AF9B60A0-1431-4F62-BC68-3311714A69AD}"
SPACES = "{E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D}"

# GPT_ATTRIBUTE_PLATFORM_REQUIRED | GPT_BASIC_DATA_ATTRIBUTE_NO_DRIVE_LETTER
RECOVERY_ATTRS = 0x8000000000000001

DRIVE_REMOVABLE, DRIVE_FIXED, DRIVE_REMOTE, DRIVE_CDROM = 2, 3, 4, 5


def guid(n, kind):
    """A made-up but well-formed GUID, distinct per (kind, n)."""
    return "{%08X-%04X-4%03X-8%03X-%012X}" % (0x5A000000 + n, kind, n, kind, 0x0000C0FFEE00 + n)


class Host:
    def __init__(self, name, doc):
        self.name = name
        self.doc = doc
        self.probes = {}
        self.disks = []  # (number, layout, length)
        self.volumes = []
        self.drives = []

    def answer(self, probe, key, answer=None, error=None):
        rec = {"key": key}
        if answer is not None:
            rec["answer"] = answer
        if error is not None:
            rec["error"] = error
        self.probes.setdefault(probe, []).append(rec)


def gpt_layout(n, size, parts):
    """parts: (start, length, type, name, attrs); numbers follow the table order."""
    usable_start, usable_end = 34 * 512, size - 33 * 512
    entries = []
    for i, (start, length, typ, name, attrs) in enumerate(parts):
        entries.append({"PartitionStyle": 1, "StartingOffset": start, "PartitionLength": length,
                        "PartitionNumber": i + 1,
                        "Gpt": {"PartitionType": typ, "PartitionId": guid(n * 16 + i + 1, 0xA), "Attributes": attrs,
                                "Name": name}})
    return {"PartitionStyle": 1,
            "Gpt": {"DiskId": guid(n, 0xD), "StartingUsableOffset": usable_start,
                    "UsableLength": usable_end - usable_start, "MaxPartitionCount": 128},
            "PartitionEntry": entries}


def mbr_layout(n, parts):
    """parts: (start, length, type, active); four slots, unused ones zero, as Windows lists them."""
    entries = []
    for i in range(4):
        if i < len(parts):
            start, length, typ, active = parts[i]
            entries.append({"PartitionStyle": 0, "StartingOffset": start, "PartitionLength": length,
                            "PartitionNumber": i + 1,
                            "Mbr": {"PartitionType": typ, "BootIndicator": active, "RecognizedPartition": True,
                                    "HiddenSectors": start // 512}})
        else:
            entries.append({"PartitionStyle": 0, "StartingOffset": 0, "PartitionLength": 0, "PartitionNumber": 0,
                            "Mbr": {"PartitionType": 0, "BootIndicator": False, "RecognizedPartition": False,
                                    "HiddenSectors": 0}})
    return {"PartitionStyle": 0, "Mbr": {"Signature": 0x1A2B3C00 + n, "CheckSum": 0}, "PartitionEntry": entries}


def add_disk(h, n, size, layout, vendor="", product="Virtual disk", serial="", bus=1, ssd=True, logical=512,
             physical=512, removable=False):
    h.answer("windows.storage_device_descriptor", n,
             {"DeviceType": 0, "RemovableMedia": removable, "BusType": bus,
              **({"VendorId": vendor} if vendor else {}), "ProductId": product,
              **({"SerialNumber": serial} if serial else {})})
    if removable:
        return  # the agent asks a removable disk nothing more
    h.answer("windows.disk_length_info", n, size)
    h.answer("windows.drive_layout", n, layout)
    h.answer("windows.storage_access_alignment", n,
             {"BytesPerLogicalSector": logical, "BytesPerPhysicalSector": physical})
    h.answer("windows.storage_seek_penalty", n, not ssd)
    h.disks.append(n)


def add_volume(h, n, paths, extents, fs="NTFS", label="", used=0, cluster=4096, dtype=DRIVE_FIXED, info=True,
               info_error=None, free_error=None):
    """extents: (disk, start, length). used: bytes in use on the file system."""
    vol = "\\\\?\\Volume%s\\" % guid(n, 0xB)
    h.volumes.append(vol)
    h.answer("windows.volume_path_names", vol, paths)
    h.answer("windows.drive_type", vol, dtype)
    if dtype in (DRIVE_REMOVABLE, DRIVE_REMOTE, DRIVE_CDROM):
        return vol
    if info_error:
        h.answer("windows.volume_information", vol, error=info_error)
    else:
        h.answer("windows.volume_information", vol,
                 {"VolumeName": label, "VolumeSerialNumber": 0x2C4F0000 + n * 0x111, "MaximumComponentLength": 255,
                  "FileSystemFlags": 0x03E706FF if fs == "NTFS" else 0x00000206, "FileSystemName": fs})
    size = sum(e[2] for e in extents)
    clusters = size // cluster - (1 if fs == "NTFS" else 0)
    total = clusters * cluster
    free = total - used
    if free_error:
        h.answer("windows.disk_free_space_ex", vol, error=free_error)
        h.answer("windows.disk_free_space", vol, error=free_error)
    else:
        h.answer("windows.disk_free_space_ex", vol,
                 {"FreeBytesAvailableToCaller": free, "TotalNumberOfBytes": total, "TotalNumberOfFreeBytes": free})
        h.answer("windows.disk_free_space", vol,
                 {"SectorsPerCluster": cluster // 512, "BytesPerSector": 512, "NumberOfFreeClusters": free // cluster,
                  "TotalNumberOfClusters": clusters})
    h.answer("windows.volume_disk_extents", vol,
             [{"DiskNumber": d, "StartingOffset": s, "ExtentLength": l} for d, s, l in extents])
    return vol


def finish(h, *, hostname, product, family, display, kernel, cpus, mem, firmware, vss_start, drivers, bios,
           bitlocker, adapters, privileged=True, dos_extra=()):
    h.answer("windows.find_volumes", {}, sorted(h.volumes))
    h.answer("windows.dos_devices", {},
             ["PhysicalDrive%d" % n for n in h.disks_all] + ["C:", "GLOBALROOT", "NUL"] + list(dos_extra))
    roots = []
    for rec in h.probes["windows.volume_path_names"]:
        roots += [p for p in rec["answer"] if len(p) == 3]
    roots += [r for r, _ in h.drives]
    h.answer("windows.logical_drives", {}, sorted(roots))
    for r, t in h.drives:
        h.answer("windows.drive_type", r, t)
    h.answer("windows.wmi_encryptable_volumes", {}, bitlocker)
    h.answer("windows.hostname", {}, hostname)
    h.answer("gopsutil.host_platform_information", {}, {"platform": product, "family": family, "version": display})
    h.answer("gopsutil.host_kernel_version", {}, kernel)
    h.answer("gopsutil.host_kernel_arch", {}, "x86_64")
    h.answer("gopsutil.cpu_counts", True, cpus)
    h.answer("gopsutil.mem_total", {}, mem)
    h.answer("windows.firmware_type", {}, {"BIOS": 1, "UEFI": 2}[firmware])
    h.answer("windows.system_directory", {}, "C:\\Windows\\system32")
    h.answer("windows.token_elevated", {}, privileged)
    h.answer("windows.service", "VSS", {"exists": vss_start is not None, "start_type": vss_start or 0,
                                        "state": 1 if vss_start else 0})
    for drv in ("netkvm.sys", "vioscsi.sys", "viostor.sys"):
        h.answer("windows.file_exists", "C:\\Windows\\system32\\drivers\\" + drv, drv in drivers)
    for name, value in zip(("SystemManufacturer", "SystemProductName", "BIOSVendor"), bios):
        h.answer("windows.registry_string", {"key": "HARDWARE\\DESCRIPTION\\System\\BIOS", "name": name}, value)
    h.answer("windows.adapters_addresses", {}, adapters)
    for recs in h.probes.values():
        recs.sort(key=lambda r: json.dumps(r["key"], sort_keys=True, separators=(",", ":")))
    manifest = {"format": "sms-agent-capture", "version": 2, "created": "2026-12-01T00:00:00Z",
                "agent_version": "hand-written (testdata/windows/make-recordings.py)", "privileged": privileged,
                "os": "windows", "probes": dict(sorted(h.probes.items()))}
    d = os.path.join("testdata", "hosts", h.name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "sms-capture.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write("# %s: a hand-written Windows recording\n\n" % h.name)
        f.write(" ".join(line.strip() for line in h.doc.strip().splitlines()) + "\n\n")
        f.write("Not recorded on Windows: `sms-capture.json` was written by `testdata/windows/make-recordings.py` "
                "from the documented structures and Windows Setup's documented default layouts (see "
                "`testdata/windows/README.md`). `../%s.json` is the inventory it replays to; `../%s.source.json` "
                "and `../%s.task.json` the registration and task bodies; `../%s.warnings` what those commands "
                "print on stderr.\n" % (h.name, h.name, h.name, h.name))


def ethernet(name, mac, ip, prefix, gw, mtu=1500, ipv6=None):
    addrs = ["%s/%d" % (ip, prefix)]
    if ipv6:
        addrs.insert(0, ipv6 + "/64")
    addrs.insert(0, "fe80::" + mac.replace(":", "")[-4:] + ":1/64")
    return {"name": guid(int(mac[-2:], 16), 0xE), "friendly_name": name, "mac": mac, "mtu": mtu, "if_type": 6,
            "oper_status": 1, "addresses": addrs, "gateways": [gw] if gw else []}


LOOPBACK = {"name": "{LOOPBACK}", "friendly_name": "Loopback Pseudo-Interface 1", "mac": "", "mtu": 4294967295,
            "if_type": 24, "oper_status": 1, "addresses": ["::1/128", "127.0.0.1/8"], "gateways": []}
ISATAP = {"name": "{ISATAP}", "friendly_name": "isatap.localdomain", "mac": "00:00:00:00:00:00:00:e0", "mtu": 1280,
          "if_type": 131, "oper_status": 2, "addresses": [], "gateways": []}
NO_BITLOCKER = {"Available": False, "Volumes": []}


def win2012r2_bios():
    """Windows Server 2012 R2 on VMware, BIOS: System Reserved (350 MiB, active) and C: on
    an MBR disk; a second MBR disk converted to dynamic (one 0x42 partition) holding the
    simple volume D:; a CD-ROM E: and a mapped network drive Z: that are not queried."""
    h = Host("win2012r2-bios", win2012r2_bios.__doc__)
    d0 = 60 * GiB
    add_disk(h, 0, d0, mbr_layout(0, [(1 * MiB, 350 * MiB, 0x07, True), (351 * MiB, d0 - 351 * MiB, 0x07, False)]),
             vendor="VMware", product="Virtual disk", bus=10, ssd=False)
    d1 = 100 * GiB
    # A dynamic MBR disk: one LDM partition from sector 63 to the end, the LDM database in
    # the last MiB; its volumes lie inside the LDM partition.
    add_disk(h, 1, d1, mbr_layout(1, [(63 * 512, d1 - 63 * 512, 0x42, False)]),
             vendor="VMware", product="Virtual disk", bus=10, ssd=False)
    add_volume(h, 1, [], [(0, 1 * MiB, 350 * MiB)], label="System Reserved", used=30 * MiB)
    add_volume(h, 2, ["C:\\"], [(0, 351 * MiB, d0 - 351 * MiB)], used=21 * GiB + 123 * MiB)
    add_volume(h, 3, ["D:\\"], [(1, 1 * MiB, 80 * GiB)], label="Data", used=52 * GiB + 7 * MiB)
    add_volume(h, 4, ["E:\\"], [], dtype=DRIVE_CDROM)
    h.drives = [("Z:\\", DRIVE_REMOTE)]
    h.disks_all = [0, 1]
    finish(h, hostname="WIN2012R2-DB01", product="Microsoft Windows Server 2012 R2 Standard", family="Server",
           display="", kernel="6.3.9600.20778 Build 9600.20778", cpus=4, mem=16 * GiB - 1 * MiB, firmware="BIOS",
           vss_start=3, drivers=(), bios=("VMware, Inc.", "VMware Virtual Platform", "Phoenix Technologies LTD"),
           bitlocker=NO_BITLOCKER,
           adapters=[ethernet("Ethernet0", "00:50:56:9a:10:01", "10.10.1.21", 24, "10.10.1.1"), LOOPBACK, ISATAP])


def win2016_uefi():
    """Windows Server 2016 on Huawei Cloud (KVM, virtio drivers), UEFI: Setup's 2016 layout
    (Recovery 450 MiB first, ESP 99 MiB, MSR 16 MiB, C:); a GPT data disk whose only volume
    is mounted on the folder C:\\data\\, without a drive letter."""
    h = Host("win2016-uefi", win2016_uefi.__doc__)
    d0 = 80 * GiB
    end0 = d0 - 33 * 512
    add_disk(h, 0, d0, gpt_layout(0, d0, [
        (1 * MiB, 450 * MiB, RECOVERY, "Basic data partition", RECOVERY_ATTRS),
        (451 * MiB, 99 * MiB, ESP, "EFI system partition", 0x8000000000000000),
        (550 * MiB, 16 * MiB, MSR, "Microsoft reserved partition", 0x8000000000000000),
        (566 * MiB, (end0 - 566 * MiB) // MiB * MiB, BASIC, "Basic data partition", 0)]),
        product="Red Hat VirtIO", bus=1, serial="a3f1c2d4-disk0")
    d1 = 200 * GiB
    end1 = d1 - 33 * 512
    add_disk(h, 1, d1, gpt_layout(1, d1, [
        (17408, 16 * MiB - 17408, MSR, "Microsoft reserved partition", 0),
        (16 * MiB, (end1 - 16 * MiB) // MiB * MiB, BASIC, "Basic data partition", 0)]),
        product="Red Hat VirtIO", bus=1, serial="a3f1c2d4-disk1")
    add_volume(h, 1, [], [(0, 1 * MiB, 450 * MiB)], label="Recovery", used=318 * MiB)
    add_volume(h, 2, [], [(0, 451 * MiB, 99 * MiB)], fs="FAT32", used=24 * MiB, cluster=1024)
    add_volume(h, 3, ["C:\\"], [(0, 566 * MiB, (end0 - 566 * MiB) // MiB * MiB)], used=17 * GiB + 512 * MiB)
    add_volume(h, 4, ["C:\\data\\"], [(1, 16 * MiB, (end1 - 16 * MiB) // MiB * MiB)], label="appdata",
               used=120 * GiB + 3 * MiB, cluster=65536)
    h.disks_all = [0, 1]
    finish(h, hostname="WIN2016-APP", product="Microsoft Windows Server 2016 Datacenter", family="Server", display="",
           kernel="10.0.14393.6897 Build 14393.6897", cpus=8, mem=32 * GiB, firmware="UEFI", vss_start=3,
           drivers=("netkvm.sys", "viostor.sys"), bios=("OpenStack Foundation", "OpenStack Nova", "HUAWEI CLOUD"),
           bitlocker=NO_BITLOCKER,
           adapters=[ethernet("Ethernet", "fa:16:3e:5d:00:21", "192.168.0.21", 24, "192.168.0.1"), LOOPBACK])


def win2019_bios_bitlocker():
    """Windows Server 2019 on AWS, BIOS: System Reserved (500 MiB, active) and C: on MBR;
    a GPT data disk whose volume D: is BitLocker-encrypted (protection on); a removable USB
    disk with its volume F:, which are not queried."""
    h = Host("win2019-bios-bitlocker", win2019_bios_bitlocker.__doc__)
    d0 = 50 * GiB
    add_disk(h, 0, d0, mbr_layout(0, [(1 * MiB, 500 * MiB, 0x07, True), (501 * MiB, d0 - 501 * MiB, 0x07, False)]),
             vendor="NVMe", product="Amazon Elastic Block Store", serial="vol0a1b2c3d4e5f60001", bus=17)
    d1 = 100 * GiB
    end1 = d1 - 33 * 512
    add_disk(h, 1, d1, gpt_layout(1, d1, [
        (17408, 16 * MiB - 17408, MSR, "Microsoft reserved partition", 0),
        (16 * MiB, (end1 - 16 * MiB) // MiB * MiB, BASIC, "Basic data partition", 0)]),
        vendor="NVMe", product="Amazon Elastic Block Store", serial="vol0a1b2c3d4e5f60002", bus=17)
    add_disk(h, 2, 16 * GiB, None, vendor="SanDisk", product="Cruzer Blade", bus=7, removable=True)
    add_volume(h, 1, [], [(0, 1 * MiB, 500 * MiB)], label="System Reserved", used=34 * MiB)
    c = add_volume(h, 2, ["C:\\"], [(0, 501 * MiB, d0 - 501 * MiB)], used=24 * GiB + 77 * MiB)
    d = add_volume(h, 3, ["D:\\"], [(1, 16 * MiB, (end1 - 16 * MiB) // MiB * MiB)], label="Finance",
                   used=61 * GiB + 900 * MiB)
    add_volume(h, 4, ["F:\\"], [], dtype=DRIVE_REMOVABLE)
    h.disks_all = [0, 1, 2]
    bitlocker = {"Available": True, "Volumes": [
        {"DeviceID": c, "DriveLetter": "C:", "ProtectionStatus": 0, "ConversionStatus": 0, "VolumeType": 0},
        {"DeviceID": d, "DriveLetter": "D:", "ProtectionStatus": 1, "ConversionStatus": 1, "VolumeType": 1}]}
    finish(h, hostname="EC2AMAZ-FIN01", product="Microsoft Windows Server 2019 Datacenter", family="Server",
           display="", kernel="10.0.17763.5458 Build 17763.5458", cpus=2, mem=8 * GiB, firmware="BIOS", vss_start=3,
           drivers=(), bios=("Amazon EC2", "t3.large", "Amazon EC2"), bitlocker=bitlocker,
           adapters=[ethernet("Ethernet 3", "0a:1b:2c:3d:4e:5f", "172.31.20.14", 20, "172.31.16.1", mtu=9001),
                     LOOPBACK])


def win2022_uefi_dynamic():
    """Windows Server 2022 on Hyper-V, UEFI: ESP 100 MiB, MSR 16 MiB, C:, and the recovery
    partition after C: (2022's layout); two GPT disks converted to dynamic (LDM metadata,
    MSR, LDM data) holding a volume E: spanned over both and a simple volume F: on the first."""
    h = Host("win2022-uefi-dynamic", win2022_uefi_dynamic.__doc__)
    d0 = 127 * GiB
    end0 = d0 - 33 * 512
    rec = 625 * MiB
    cstart = 117 * MiB
    clen = (end0 - rec - cstart) // MiB * MiB
    add_disk(h, 0, d0, gpt_layout(0, d0, [
        (1 * MiB, 100 * MiB, ESP, "EFI system partition", 0x8000000000000000),
        (101 * MiB, 16 * MiB, MSR, "Microsoft reserved partition", 0x8000000000000000),
        (cstart, clen, BASIC, "Basic data partition", 0),
        (cstart + clen, rec, RECOVERY, "", RECOVERY_ATTRS)]),
        vendor="Msft", product="Virtual Disk", bus=10, ssd=True, physical=4096)
    for n, size in ((1, 64 * GiB), (2, 32 * GiB)):
        end = size - 33 * 512
        add_disk(h, n, size, gpt_layout(n, size, [
            (end - 1 * MiB, 1 * MiB, LDM_META, "LDM metadata partition", 0),
            (17408, 127 * MiB - 17408, MSR, "Microsoft reserved partition", 0),
            (128 * MiB, (end - 1 * MiB - 128 * MiB) // MiB * MiB, LDM_DATA, "LDM data partition", 0)]),
            vendor="Msft", product="Virtual Disk", bus=10, ssd=True, physical=4096)
    add_volume(h, 1, [], [(0, 1 * MiB, 100 * MiB)], fs="FAT32", used=31 * MiB, cluster=1024)
    add_volume(h, 2, ["C:\\"], [(0, cstart, clen)], used=31 * GiB + 250 * MiB)
    add_volume(h, 3, [], [(0, cstart + clen, rec)], used=528 * MiB)
    # E: spans the end of disk 1 and most of disk 2; F: is simple, at the start of disk 1.
    add_volume(h, 4, ["E:\\"], [(1, 128 * MiB + 20 * GiB, 40 * GiB), (2, 128 * MiB, 30 * GiB)], label="Archive",
               used=51 * GiB + 5 * MiB)
    add_volume(h, 5, ["F:\\"], [(1, 128 * MiB, 20 * GiB)], label="Logs", used=2 * GiB + 12 * MiB)
    h.disks_all = [0, 1, 2]
    finish(h, hostname="WIN2022-FS01", product="Microsoft Windows Server 2022 Datacenter", family="Server",
           display="21H2", kernel="10.0.20348.2322 Build 20348.2322", cpus=4, mem=16 * GiB, firmware="UEFI",
           vss_start=3, drivers=(), bios=("Microsoft Corporation", "Virtual Machine", "Microsoft Corporation"),
           bitlocker=NO_BITLOCKER,
           adapters=[ethernet("Ethernet", "00:15:5d:01:02:03", "10.0.0.40", 24, "10.0.0.1", ipv6="2001:db8::40"),
                     LOOPBACK])


def win2019_uefi_storage_spaces():
    """Windows Server 2019, UEFI, with Storage Spaces: disks 1 and 2 belong to a storage
    pool (a Storage Spaces protective partition covers each), disk 3 is the pool's mirrored
    virtual disk (bus type Spaces) holding S:. VSS is disabled on this host."""
    h = Host("win2019-uefi-storage-spaces", win2019_uefi_storage_spaces.__doc__)
    d0 = 60 * GiB
    end0 = d0 - 33 * 512
    rec, cstart = 499 * MiB, 616 * MiB
    add_disk(h, 0, d0, gpt_layout(0, d0, [
        (1 * MiB, rec, RECOVERY, "Basic data partition", RECOVERY_ATTRS),
        (1 * MiB + rec, 99 * MiB, ESP, "EFI system partition", 0x8000000000000000),
        (600 * MiB, 16 * MiB, MSR, "Microsoft reserved partition", 0x8000000000000000),
        (cstart, (end0 - cstart) // MiB * MiB, BASIC, "Basic data partition", 0)]),
        vendor="DELL", product="PERC H730P Mini", bus=8, ssd=False)
    for n in (1, 2):
        size = 1024 * GiB
        add_disk(h, n, size, gpt_layout(n, size, [
            (17408, 128 * MiB - 17408, MSR, "Microsoft reserved partition", 0),
            (128 * MiB, (size - 33 * 512 - 128 * MiB) // MiB * MiB, SPACES, "Storage Spaces protective partition", 0)]),
            vendor="ATA", product="ST1000NM0008", serial="ZA1%04d" % n, bus=11, ssd=False, physical=4096)
    vd = 900 * GiB
    endv = vd - 33 * 512
    add_disk(h, 3, vd, gpt_layout(3, vd, [
        (17408, 16 * MiB - 17408, MSR, "Microsoft reserved partition", 0),
        (16 * MiB, (endv - 16 * MiB) // MiB * MiB, BASIC, "Basic data partition", 0)]),
        vendor="Msft", product="Storage Space", bus=16, ssd=False, physical=4096)
    add_volume(h, 1, [], [(0, 1 * MiB, rec)], label="Recovery", used=360 * MiB)
    add_volume(h, 2, [], [(0, 1 * MiB + rec, 99 * MiB)], fs="FAT32", used=27 * MiB, cluster=1024)
    add_volume(h, 3, ["C:\\"], [(0, cstart, (end0 - cstart) // MiB * MiB)], used=19 * GiB + 640 * MiB)
    add_volume(h, 4, ["S:\\"], [(3, 16 * MiB, (endv - 16 * MiB) // MiB * MiB)], fs="ReFS", label="Shares",
               used=412 * GiB, cluster=65536)
    h.disks_all = [0, 1, 2, 3]
    finish(h, hostname="WIN2019-SPACES", product="Microsoft Windows Server 2019 Standard", family="Server", display="",
           kernel="10.0.17763.5458 Build 17763.5458", cpus=16, mem=64 * GiB, firmware="UEFI", vss_start=4,
           drivers=(), bios=("Dell Inc.", "PowerEdge R640", "Dell Inc."), bitlocker=NO_BITLOCKER,
           adapters=[ethernet("NIC1", "24:6e:96:aa:bb:01", "10.20.0.15", 24, "10.20.0.1"),
                     ethernet("NIC2", "24:6e:96:aa:bb:02", "169.254.7.7", 16, None), LOOPBACK])


if __name__ == "__main__":
    win2012r2_bios()
    win2016_uefi()
    win2019_bios_bitlocker()
    win2022_uefi_dynamic()
    win2019_uefi_storage_spaces()
