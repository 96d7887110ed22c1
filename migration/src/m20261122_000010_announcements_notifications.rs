//! Announcements gain a type, a priority, a target and an expiry; system
//! (server-wide) announcements and per-user notifications get their tables.
//! One `ALTER` per column: SQLite takes only one change per statement.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(Announcements::Title).string_len(200).null().to_owned(),
            ColumnDef::new(Announcements::Kind)
                .string_len(32)
                .not_null()
                .default("general")
                .to_owned(),
            ColumnDef::new(Announcements::Priority)
                .string_len(16)
                .not_null()
                .default("normal")
                .to_owned(),
            ColumnDef::new(Announcements::Target)
                .string_len(16)
                .not_null()
                .default("event")
                .to_owned(),
            ColumnDef::new(Announcements::TargetIds).json().null().to_owned(),
            ColumnDef::new(Announcements::ExpiresAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Announcements::UpdatedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ];
        for mut col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Announcements::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_announcements_event_created")
                    .table(Announcements::Table)
                    .col(Announcements::EventId)
                    .col(Announcements::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SystemAnnouncements::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(SystemAnnouncements::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(SystemAnnouncements::Title).string_len(200).null())
                    .col(ColumnDef::new(SystemAnnouncements::Message).string_len(1000).not_null())
                    .col(ColumnDef::new(SystemAnnouncements::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(SystemAnnouncements::Priority).string_len(16).not_null())
                    .col(ColumnDef::new(SystemAnnouncements::AuthorId).uuid().not_null())
                    .col(
                        ColumnDef::new(SystemAnnouncements::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SystemAnnouncements::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Notifications::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Notifications::UserId).uuid().not_null())
                    .col(ColumnDef::new(Notifications::EventId).uuid().null())
                    .col(ColumnDef::new(Notifications::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Notifications::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Notifications::Body).string_len(2000).not_null())
                    .col(ColumnDef::new(Notifications::Data).json().null())
                    .col(ColumnDef::new(Notifications::ReadAt).timestamp_with_time_zone().null())
                    .col(
                        ColumnDef::new(Notifications::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_user_created")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SystemAnnouncements::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_announcements_event_created")
                    .table(Announcements::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            Announcements::Title,
            Announcements::Kind,
            Announcements::Priority,
            Announcements::Target,
            Announcements::TargetIds,
            Announcements::ExpiresAt,
            Announcements::UpdatedAt,
        ] {
            manager
                .alter_table(Table::alter().table(Announcements::Table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Announcements {
    Table,
    EventId,
    CreatedAt,
    Title,
    Kind,
    Priority,
    Target,
    TargetIds,
    ExpiresAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SystemAnnouncements {
    Table,
    Id,
    Title,
    Message,
    Kind,
    Priority,
    AuthorId,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    EventId,
    Kind,
    Title,
    Body,
    Data,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}
