use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Announcements::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Announcements::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Announcements::EventId).uuid().not_null())
                    .col(ColumnDef::new(Announcements::RoundId).uuid().null())
                    .col(ColumnDef::new(Announcements::Message).string_len(1000).not_null())
                    .col(ColumnDef::new(Announcements::AuthorId).uuid().not_null())
                    .col(
                        ColumnDef::new(Announcements::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Announcements::Table, Announcements::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Announcements::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Announcements {
    Table,
    Id,
    EventId,
    RoundId,
    Message,
    AuthorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}
